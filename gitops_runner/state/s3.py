"""S3 state with conditional writes, and the S3 lockfile locker.

Better than Terraform's S3 backend: every state write is conditional on the ETag
that was read (If-Match; the first write If-None-Match: *), so a writer holding a
stale copy fails instead of losing an update, lock or no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gitops_runner.errors import GitopsError
from gitops_runner.plan.statefile import (
    StateConflictError,
    StateDoc,
    check_successor,
    parse_state,
    render_state,
)
from gitops_runner.state.base import LockError, LockHeldError, LockInfo, Snapshot

# 412: the ETag condition failed; 409: a concurrent conditional write won the race.
CONFLICT_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def aws_error(action: str, where: str, exc: Exception) -> GitopsError:
    """A boto error as one line: what failed, where, and what to check."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        hint = {"AccessDenied": "check the IAM policy of the credentials in use",
                "NoSuchBucket": "create the bucket or fix state.bucket",
                "ResourceNotFoundException": "create the table (partition key LockID, string) "
                                             "or fix state.lock.table"}.get(code, "")
        return GitopsError(f"{action} {where} failed: {code} {message}".rstrip()
                           + (f"; {hint}" if hint else ""))
    return GitopsError(f"{action} {where} failed: {type(exc).__name__}: {exc}; check AWS "
                       "credentials, region and endpoint")


class S3StateStore:
    def __init__(self, s3: Any, bucket: str, key: str, kms_key_id: str | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.kms_key_id = kms_key_id
        self._warn = warn
        self._checked_versioning = False
        # The version this store last read or wrote: a write based on it needs no GET
        # first, since If-Match already proves the stored object is still that version.
        self._known: tuple[str, StateDoc] | None = None

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def _get(self) -> tuple[bytes, str] | None:
        try:
            obj = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if error_code(exc) in MISSING_CODES:
                return None
            raise aws_error("reading state", self.describe(), exc) from None
        except BotoCoreError as exc:
            raise aws_error("reading state", self.describe(), exc) from None
        return obj["Body"].read(), str(obj["ETag"])

    def read(self) -> Snapshot:
        self._check_versioning()
        got = self._get()
        if got is None:
            return Snapshot(None, None)
        raw, etag = got
        doc = parse_state(raw.decode("utf-8", "replace"), self.describe())
        self._known = (etag, doc)
        return Snapshot(doc, etag)

    def _current(self, token: str | None) -> StateDoc | None:
        """The stored document `token` names; raises if the store moved past it."""
        if token is None:
            return None  # If-None-Match: * refuses the write if anything exists
        if self._known is not None and self._known[0] == token:
            return self._known[1]
        got = self._get()
        if got is None or got[1] != token:
            raise StateConflictError(f"state {self.describe()} changed since it was read; "
                                     "someone else wrote it meanwhile — run again")
        return parse_state(got[0].decode("utf-8", "replace"), self.describe())

    def write(self, doc: StateDoc, token: str | None) -> str:
        current = self._current(token)
        if current is not None:
            check_successor(current, doc)
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key,
                                "Body": render_state(doc).encode(),
                                "ContentType": "application/json"}
        if self.kms_key_id:
            args.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=self.kms_key_id)
        else:
            args["ServerSideEncryption"] = "AES256"
        if token is None:
            args["IfNoneMatch"] = "*"
        else:
            args["IfMatch"] = token
        try:
            etag = str(self.s3.put_object(**args)["ETag"])
        except ClientError as exc:
            if error_code(exc) in CONFLICT_CODES:
                raise StateConflictError(
                    f"state {self.describe()} changed since it was read (conditional write "
                    "refused); someone else wrote it meanwhile — run again") from None
            raise aws_error("writing state", self.describe(), exc) from None
        except BotoCoreError as exc:
            raise aws_error("writing state", self.describe(), exc) from None
        self._known = (etag, doc)
        return etag

    def delete(self, token: str) -> None:
        # A fresh look (not the cached version), then a conditional delete where S3 has
        # one; the caller holds the lock, and bucket versioning keeps the deleted copy.
        got = self._get()
        if got is None:
            return
        if got[1] != token:
            raise StateConflictError(f"state {self.describe()} changed since it was read; "
                                     "someone else wrote it meanwhile — run again")
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=token)
        except ClientError as exc:
            if error_code(exc) in CONFLICT_CODES:
                raise StateConflictError(f"state {self.describe()} changed since it was read "
                                         "(conditional delete refused) — run again") from None
            raise aws_error("deleting state", self.describe(), exc) from None
        except BotoCoreError as exc:
            raise aws_error("deleting state", self.describe(), exc) from None
        self._known = None

    def _check_versioning(self) -> None:
        if self._checked_versioning or self._warn is None:
            return
        self._checked_versioning = True
        try:
            status = self.s3.get_bucket_versioning(Bucket=self.bucket).get("Status")
        except (ClientError, BotoCoreError):
            return  # no permission to look: not worth failing the run over
        if status != "Enabled":
            self._warn(f"warning: bucket {self.bucket} has no versioning; earlier copies of "
                       "the state cannot be restored. Enable versioning on it")


class S3Locker:
    """`{key}.lock` written with If-None-Match: *; an expired lock is taken over with a
    write conditional on its ETag, so of two takers exactly one wins."""

    def __init__(self, s3: Any, bucket: str, key: str, stack: str,
                 poll_seconds: float = 1.0) -> None:
        self.s3, self.bucket, self.key, self.stack = s3, bucket, f"{key}.lock", stack
        self._poll = poll_seconds
        self._etag: str | None = None
        self._info: LockInfo | None = None

    def _read(self) -> tuple[LockInfo, str] | None:
        try:
            obj = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if error_code(exc) in MISSING_CODES:
                return None
            raise aws_error("reading lock", f"s3://{self.bucket}/{self.key}", exc) from None
        try:
            return LockInfo.from_json(obj["Body"].read().decode()), str(obj["ETag"])
        except (ValueError, KeyError):
            # Unreadable: treat as held and never expiring; force-unlock is the way out.
            return LockInfo("unreadable", "unknown", "unknown", "", ""), str(obj["ETag"])

    def _put(self, info: LockInfo, **condition: str) -> str | None:
        try:
            resp = self.s3.put_object(Bucket=self.bucket, Key=self.key,
                                      Body=info.to_json().encode(),
                                      ContentType="application/json", **condition)
        except ClientError as exc:
            if error_code(exc) in CONFLICT_CODES:
                return None
            raise aws_error("writing lock", f"s3://{self.bucket}/{self.key}", exc) from None
        return str(resp["ETag"])

    def lock(self, info: LockInfo, deadline: float) -> None:
        while True:
            etag = self._put(info, IfNoneMatch="*")
            if etag is None:
                current = self._read()
                if current is not None and current[0].taken_over_at(time.time()):
                    etag = self._put(info, IfMatch=current[1])
            if etag is not None:
                self._etag, self._info = etag, info
                return
            current = self._read()
            if time.time() >= deadline:
                holder = current[0] if current else LockInfo("unknown", "", "", "", "")
                raise LockHeldError(holder, self.stack)
            time.sleep(self._poll)

    def refresh(self, info: LockInfo) -> None:
        if self._etag is None or self._info is None or self._info.id != info.id:
            raise LockError(f"cannot refresh lock {info.id} of {self.stack}: not held here")
        etag = self._put(info, IfMatch=self._etag)
        if etag is None:
            raise LockError(f"lock of {self.stack} was taken over or removed by someone else")
        self._etag, self._info = etag, info

    def _delete(self, etag: str) -> bool:
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=etag)
        except ClientError as exc:
            if error_code(exc) in CONFLICT_CODES | MISSING_CODES:
                return False
            raise aws_error("removing lock", f"s3://{self.bucket}/{self.key}", exc) from None
        return True

    def unlock(self, lock_id: str) -> None:
        current = self._read()
        if current is None or current[0].id != lock_id:
            raise LockError(f"cannot unlock {self.stack} with id {lock_id}: "
                            + ("not locked" if current is None else
                               f"held by {current[0].id}"))
        if not self._delete(current[1]):
            raise LockError(f"lock of {self.stack} changed while unlocking; check lock show")
        self._etag = self._info = None

    def holder(self) -> LockInfo | None:
        current = self._read()
        return current[0] if current else None

    def force_unlock(self, lock_id: str) -> None:
        self.unlock(lock_id)
