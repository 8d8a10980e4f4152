"""Local state: a JSON file per stack, atomic writes, and an OS file lock.

The fcntl lock belongs to the open file, so it dies with its process: no
stale locks after a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from typing import IO

from gitops_runner.fsutil import atomic_write, read_bytes
from gitops_runner.plan.statefile import (
    StateConflictError,
    StateDoc,
    check_successor,
    parse_state,
    render_state,
)
from gitops_runner.state.base import LockError, LockHeldError, LockInfo, Snapshot


def _token(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class LocalStateStore:
    def __init__(self, directory: str, project: str, environment: str) -> None:
        self.path = os.path.join(directory, project, f"{environment}.json")
        self.stack = f"{project}/{environment}"

    def describe(self) -> str:
        return self.path

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        # Serialises read-compare-write between processes, lock or no lock.
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path + ".write-guard", "a+") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(guard, fcntl.LOCK_UN)

    def read(self) -> Snapshot:
        raw = read_bytes(self.path)
        if raw is None:
            return Snapshot(None, None)
        return Snapshot(parse_state(raw.decode("utf-8", "replace"), self.path), _token(raw))

    def write(self, doc: StateDoc, token: str | None) -> str:
        data = render_state(doc).encode("utf-8")
        with self._guard():
            raw = read_bytes(self.path)
            current_token = _token(raw) if raw is not None else None
            if current_token != token:
                raise StateConflictError(
                    f"state of {self.stack} changed since it was read ({self.path}); "
                    "someone else applied meanwhile — run again")
            current = parse_state(raw.decode("utf-8", "replace"), self.path) if raw else None
            check_successor(current, doc)
            if raw is not None:
                atomic_write(self.path + ".backup", raw)
            atomic_write(self.path, data)
        return _token(data)

    def delete(self, token: str) -> None:
        with self._guard():
            raw = read_bytes(self.path)
            if raw is None:
                return
            if _token(raw) != token:
                raise StateConflictError(
                    f"state of {self.stack} changed since it was read ({self.path}); "
                    "someone else applied meanwhile — run again")
            atomic_write(self.path + ".backup", raw)
            os.remove(self.path)


class FileLocker:
    """One process at a time per stack, via flock on `{environment}.lock`."""

    def __init__(self, directory: str, project: str, environment: str,
                 poll_seconds: float = 0.2) -> None:
        self.path = os.path.join(directory, project, f"{environment}.lock")
        self.stack = f"{project}/{environment}"
        self._handle: IO[str] | None = None
        self._info: LockInfo | None = None
        self._poll = poll_seconds

    def lock(self, info: LockInfo, deadline: float) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the lock's lifetime
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.time() >= deadline:
                    handle.close()
                    raise LockHeldError(self.holder() or _unknown_holder(self.path),
                                        self.stack) from None
                time.sleep(self._poll)
        handle.seek(0)
        handle.truncate()
        handle.write(info.to_json())
        handle.flush()
        self._handle, self._info = handle, info

    def refresh(self, info: LockInfo) -> None:
        if self._handle is None or self._info is None or self._info.id != info.id:
            raise LockError(f"cannot refresh lock {info.id} of {self.stack}: not held here")
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(info.to_json())
        self._handle.flush()
        self._info = info

    def unlock(self, lock_id: str) -> None:
        if self._handle is None or self._info is None or self._info.id != lock_id:
            raise LockError(f"cannot unlock {self.stack} with id {lock_id}: this process does "
                            "not hold that lock")
        self._handle.seek(0)
        self._handle.truncate()
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
        self._handle = self._info = None

    def holder(self) -> LockInfo | None:
        if self._info is not None:
            return self._info
        if not os.path.exists(self.path):
            return None
        with open(self.path, "a+") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                probe.seek(0)
                text = probe.read()
                try:
                    return LockInfo.from_json(text)
                except (ValueError, KeyError):
                    return _unknown_holder(self.path)
            fcntl.flock(probe, fcntl.LOCK_UN)
            return None

    def force_unlock(self, lock_id: str) -> None:
        holder = self.holder()
        if holder is None:
            raise LockError(f"{self.stack} is not locked")
        if holder.id != lock_id:
            raise LockError(f"lock id {lock_id} does not match the holder's id {holder.id}")
        raise LockError(
            f"{self.stack} is held by a file lock of process {holder.pid or '?'} on this "
            "machine; a file lock ends with its process, so stop that process instead")


def _unknown_holder(path: str) -> LockInfo:
    return LockInfo(id="unknown", operation="unknown", who="another process", created="",
                    expires="", path=path)
