"""Build the S3 store and its locker from a stack's `state` block (the AWS SDK lives here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.loaders import create_loader

from gitops_runner.config.model import Stack
from gitops_runner.state.base import Locker, StateStore
from gitops_runner.state.dynamodb import DynamoLocker
from gitops_runner.state.nolock import NoLocker
from gitops_runner.state.s3 import S3Locker, S3StateStore

_RETRIES = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10,
                  read_timeout=30)


def state_key(stack: Stack) -> str:
    return f"{stack.state.prefix}/{stack.project}/{stack.environment}.json"


# The service models (the S3 one is large) are parsed once per process: each new SDK
# session would otherwise build its own loader and parse them again, for every stack.
_MODELS = create_loader()


def client(stack: Stack, service: str) -> Any:
    """A client of a fresh SDK session, so credentials, AWS_* settings and
    AWS_ENDPOINT_URL[_S3|_DYNAMODB] are read from the environment as they are now."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _MODELS)
    return session.create_client(service, region_name=stack.state.region, config=_RETRIES)


def open_remote(stack: Stack,
                warn: Callable[[str], None] | None = None) -> tuple[StateStore, Locker]:
    s3 = client(stack, "s3")
    bucket = stack.state.bucket or ""
    key = state_key(stack)
    store = S3StateStore(s3, bucket, key, stack.state.kms_key_id, warn=warn)
    lock = stack.state.lock
    locker: Locker
    if lock.backend == "dynamodb":
        locker = DynamoLocker(client(stack, "dynamodb"), lock.table or "", f"{bucket}/{key}",
                              stack.name)
    elif lock.backend == "s3":
        locker = S3Locker(s3, bucket, key, stack.name)
    else:
        locker = NoLocker()
    return store, locker
