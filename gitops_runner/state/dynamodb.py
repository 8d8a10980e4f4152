"""DynamoDB lock, Terraform-compatible: partition key LockID = "{bucket}/{key}".

Acquire is one conditional put (free, or expired: expiry lives in the condition,
since DynamoDB's TTL deletes lazily and moto never does); refresh and release
are conditional on our exact Info, so nobody else's lock is touched.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gitops_runner.state.base import TAKEOVER_MARGIN_SECONDS, LockError, LockHeldError, LockInfo
from gitops_runner.state.s3 import aws_error, error_code

FAILED = "ConditionalCheckFailedException"


class DynamoLocker:
    def __init__(self, dynamodb: Any, table: str, lock_id: str, stack: str,
                 poll_seconds: float = 1.0) -> None:
        self.db, self.table, self.lock_id, self.stack = dynamodb, table, lock_id, stack
        self._poll = poll_seconds
        self._info: LockInfo | None = None

    def _where(self) -> str:
        return f"dynamodb table {self.table} item {self.lock_id}"

    def _call(self, action: str, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(TableName=self.table, **kwargs)
        except ClientError as exc:
            if error_code(exc) == FAILED:
                return None
            raise aws_error(action, self._where(), exc) from None
        except BotoCoreError as exc:
            raise aws_error(action, self._where(), exc) from None

    def _item(self, info: LockInfo) -> dict[str, Any]:
        return {"LockID": {"S": self.lock_id}, "Expires": {"N": str(info.expires_epoch)},
                "Info": {"S": info.to_json()}}

    def lock(self, info: LockInfo, deadline: float) -> None:
        while True:
            done = self._call(
                "taking lock", self.db.put_item, Item=self._item(info),
                ConditionExpression="attribute_not_exists(LockID) OR Expires < :now",
                ExpressionAttributeValues={
                    ":now": {"N": str(int(time.time()) - TAKEOVER_MARGIN_SECONDS)}})
            if done is not None:
                self._info = info
                return
            if time.time() >= deadline:
                holder = self.holder() or LockInfo("unknown", "", "", "", "")
                raise LockHeldError(holder, self.stack)
            time.sleep(self._poll)

    def refresh(self, info: LockInfo) -> None:
        if self._info is None or self._info.id != info.id:
            raise LockError(f"cannot refresh lock {info.id} of {self.stack}: not held here")
        done = self._call(
            "refreshing lock", self.db.update_item, Key={"LockID": {"S": self.lock_id}},
            UpdateExpression="SET Expires = :e, Info = :new",
            ConditionExpression="Info = :old",
            ExpressionAttributeValues={":e": {"N": str(info.expires_epoch)},
                                       ":new": {"S": info.to_json()},
                                       ":old": {"S": self._info.to_json()}})
        if done is None:
            raise LockError(f"lock of {self.stack} was taken over or removed by someone else")
        self._info = info

    def _raw_holder(self) -> str | None:
        item = self._call("reading lock", self.db.get_item, Key={"LockID": {"S": self.lock_id}},
                          ConsistentRead=True)
        if not item or "Item" not in item:
            return None
        return str(item["Item"].get("Info", {}).get("S", ""))

    def holder(self) -> LockInfo | None:
        raw = self._raw_holder()
        if raw is None:
            return None
        try:
            return LockInfo.from_json(raw)
        except (ValueError, KeyError):
            return LockInfo("unreadable", "unknown", "unknown", "", "")

    def unlock(self, lock_id: str) -> None:
        raw = self._raw_holder()
        if raw is None:
            raise LockError(f"cannot unlock {self.stack}: it is not locked")
        try:
            holder_id = LockInfo.from_json(raw).id
        except (ValueError, KeyError):
            holder_id = "unreadable"
        if holder_id != lock_id:
            raise LockError(f"cannot unlock {self.stack} with id {lock_id}: held by {holder_id}")
        done = self._call("releasing lock", self.db.delete_item,
                          Key={"LockID": {"S": self.lock_id}}, ConditionExpression="Info = :mine",
                          ExpressionAttributeValues={":mine": {"S": raw}})
        if done is None:
            raise LockError(f"lock of {self.stack} changed while unlocking; check lock show")
        if self._info is not None and self._info.id == lock_id:
            self._info = None

    def force_unlock(self, lock_id: str) -> None:
        self.unlock(lock_id)
