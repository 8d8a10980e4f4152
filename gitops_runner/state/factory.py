"""Pick the state store and locker a stack's `state` block names."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gitops_runner.config.model import Stack
from gitops_runner.errors import GitopsError
from gitops_runner.state.base import Locker, StateStore
from gitops_runner.state.local import FileLocker, LocalStateStore


class NoLocker:
    """lock.backend: none — the S3 conditional write still prevents lost updates."""

    def lock(self, info: object, deadline: float) -> None:
        return None

    def refresh(self, info: object) -> None:
        return None

    def unlock(self, lock_id: str) -> None:
        return None

    def holder(self) -> None:
        return None

    def force_unlock(self, lock_id: str) -> None:
        raise GitopsError("this stack's state has no lock (state.lock.backend: none)")


def open_backend(stack: Stack, env: Mapping[str, str],
                 warn: Callable[[str], None] | None = None) -> tuple[StateStore, Locker]:
    settings = stack.state
    if settings.backend == "local":
        return (LocalStateStore(settings.path, stack.project, stack.environment),
                FileLocker(settings.path, stack.project, stack.environment))
    from gitops_runner.state.remote import open_remote  # boto3 only when needed

    return open_remote(stack, env, warn)
