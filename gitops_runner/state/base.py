"""The state backend contract: read, conditional write, lock, refresh, unlock.

Every backend (local file, S3, and the locks: file, DynamoDB, S3 lockfile)
promises the same things, and tests/state/contract.py holds it to them:

- read() returns the document and an opaque version token (None when empty).
- write(doc, token) succeeds only if the stored version still matches token
  (None = "must not exist yet"); otherwise StateConflictError. It also refuses
  a doc whose serial does not exceed the stored one or whose lineage differs.
- lock(info, deadline) is atomic: of two callers exactly one wins; the loser
  waits until `deadline` (time.time() seconds) then raises LockHeldError
  carrying the holder's LockInfo. Lock ids are unique per acquisition.
- unlock(lock_id) removes the lock only when lock_id matches the holder's.
- A lock may be taken over only TAKEOVER_MARGIN_SECONDS after its Expires (another
  runner's clock may be off); refresh(info) extends the lease, and fails with LockError
  once someone else holds the lock.
- delete(token) removes the document under the same condition as write.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from gitops_runner.errors import GitopsError
from gitops_runner.plan.statefile import StateDoc

LEASE_SECONDS = 600
# A lease counts as expired only this long after its Expires: the holder stops writing
# this long before it (engine/fence.py), so clocks may be off by up to this much.
TAKEOVER_MARGIN_SECONDS = 60
NEVER = 2**62


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RunIdentity:
    """Who runs this command: recorded in lock records and the state's history."""

    actor: str
    commit: str = ""
    pull_request: str = ""
    run_url: str = ""

    @classmethod
    def local(cls) -> RunIdentity:
        return cls(actor=f"{_user()}@{socket.gethostname()}")


@dataclass(frozen=True)
class LockInfo:
    id: str
    operation: str
    who: str
    created: str
    expires: str
    path: str = ""
    commit: str = ""
    pull_request: str = ""
    run_url: str = ""
    pid: int = 0

    @classmethod
    def new(cls, operation: str, path: str, identity: RunIdentity,
            now: datetime | None = None, lease: int = LEASE_SECONDS) -> LockInfo:
        now = now or datetime.now(UTC)
        return cls(id=str(uuid.uuid4()), operation=operation, who=identity.actor,
                   created=rfc3339(now), expires=rfc3339(now + timedelta(seconds=lease)),
                   path=path, commit=identity.commit, pull_request=identity.pull_request,
                   run_url=identity.run_url, pid=os.getpid())

    def renewed(self, now: datetime | None = None, lease: int = LEASE_SECONDS) -> LockInfo:
        now = now or datetime.now(UTC)
        return replace(self, expires=rfc3339(now + timedelta(seconds=lease)))

    @property
    def expires_epoch(self) -> int:
        """Epoch seconds; a lock with no readable expiry (e.g. Terraform's) never expires."""
        try:
            return int(datetime.strptime(self.expires, "%Y-%m-%dT%H:%M:%SZ")
                       .replace(tzinfo=UTC).timestamp())
        except ValueError:
            return NEVER

    def taken_over_at(self, now: float) -> bool:
        """Whether another runner may take this lock over at `now` (epoch seconds)."""
        return self.expires_epoch + TAKEOVER_MARGIN_SECONDS < now

    def to_json(self) -> str:
        """Terraform-style keys, so its tooling can read our lock items."""
        return json.dumps({"ID": self.id, "Operation": self.operation, "Who": self.who,
                           "Created": self.created, "Expires": self.expires, "Path": self.path,
                           "Commit": self.commit, "PullRequest": self.pull_request,
                           "RunURL": self.run_url, "PID": self.pid}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        data = json.loads(text)
        return cls(id=str(data["ID"]), operation=str(data.get("Operation", "")),
                   who=str(data.get("Who", "")), created=str(data.get("Created", "")),
                   expires=str(data.get("Expires", "")), path=str(data.get("Path", "")),
                   commit=str(data.get("Commit", "")),
                   pull_request=str(data.get("PullRequest", "")),
                   run_url=str(data.get("RunURL", "")), pid=int(data.get("PID", 0) or 0))

    def describe(self) -> str:
        parts = [f"lock {self.id}", f"held by {self.who}", f"for {self.operation}",
                 f"since {self.created}", f"expires {self.expires}"]
        if self.run_url:
            parts.append(f"run {self.run_url}")
        if self.commit:
            parts.append(f"commit {self.commit[:12]}")
        return ", ".join(parts)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class LockHeldError(GitopsError):
    def __init__(self, holder: LockInfo, stack: str) -> None:
        self.holder = holder
        super().__init__(
            f"state of {stack} is locked: {holder.describe()}. Wait for that run to finish, "
            f"or if it is dead: gitops-runner force-unlock {holder.id}")


class LockError(GitopsError):
    """A lock could not be taken, refreshed or released for a reason other than a holder."""


@dataclass(frozen=True)
class Snapshot:
    doc: StateDoc | None
    token: str | None


class StateStore(Protocol):
    def read(self) -> Snapshot: ...
    def write(self, doc: StateDoc, token: str | None) -> str: ...
    def describe(self) -> str: ...

    def delete(self, token: str) -> None:
        """Remove the stored document (a destroyed preview's state) if it is still the
        version `token` names; else StateConflictError. Backups/versions may stay."""


class Locker(Protocol):
    def lock(self, info: LockInfo, deadline: float) -> None: ...
    def refresh(self, info: LockInfo) -> None: ...
    def unlock(self, lock_id: str) -> None: ...
    def holder(self) -> LockInfo | None: ...
    def force_unlock(self, lock_id: str) -> None: ...
