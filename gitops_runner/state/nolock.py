"""lock.backend: none — no lock; the S3 conditional write still prevents lost updates."""

from __future__ import annotations

from gitops_runner.errors import GitopsError


class NoLocker:
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
