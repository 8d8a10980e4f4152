"""Pick the state store and locker a stack's `state` block names."""

from __future__ import annotations

from collections.abc import Callable

from gitops_runner.config.model import Stack
from gitops_runner.state.base import Locker, StateStore
from gitops_runner.state.local import FileLocker, LocalStateStore


def open_backend(stack: Stack,
                 warn: Callable[[str], None] | None = None) -> tuple[StateStore, Locker]:
    settings = stack.state
    if settings.backend == "local":
        return (LocalStateStore(settings.path, stack.project, stack.environment),
                FileLocker(settings.path, stack.project, stack.environment))
    # boto3 is imported only when a stack uses S3: cold starts stay fast.
    from gitops_runner.state.remote import open_remote

    return open_remote(stack, warn)
