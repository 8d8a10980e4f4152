"""Build the S3 store and its locker from a stack's `state` block (boto3 lives here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from gitops_runner.config.model import Stack
from gitops_runner.state.base import Locker, StateStore
from gitops_runner.state.dynamodb import DynamoLocker
from gitops_runner.state.nolock import NoLocker
from gitops_runner.state.s3 import S3Locker, S3StateStore

_RETRIES = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10,
                  read_timeout=30)


def state_key(stack: Stack) -> str:
    return f"{stack.state.prefix}/{stack.project}/{stack.environment}.json"


def clients(stack: Stack) -> tuple[Any, Any]:
    # boto3 honours AWS_* and AWS_ENDPOINT_URL[_S3|_DYNAMODB] from the environment itself.
    session = boto3.session.Session(region_name=stack.state.region)
    return session.client("s3", config=_RETRIES), session.client("dynamodb", config=_RETRIES)


def open_remote(stack: Stack,
                warn: Callable[[str], None] | None = None) -> tuple[StateStore, Locker]:
    s3, dynamodb = clients(stack)
    bucket = stack.state.bucket or ""
    key = state_key(stack)
    store = S3StateStore(s3, bucket, key, stack.state.kms_key_id, warn=warn)
    lock = stack.state.lock
    locker: Locker
    if lock.backend == "dynamodb":
        locker = DynamoLocker(dynamodb, lock.table or "", f"{bucket}/{key}", stack.name)
    elif lock.backend == "s3":
        locker = S3Locker(s3, bucket, key, stack.name)
    else:
        locker = NoLocker()
    return store, locker
