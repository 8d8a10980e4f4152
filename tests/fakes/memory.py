"""An in-memory state store and leased locker: the conformance suite's reference."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gitops_runner.plan.statefile import (
    StateConflictError,
    StateDoc,
    check_successor,
    parse_state,
    render_state,
)
from gitops_runner.state.base import LockError, LockHeldError, LockInfo, Snapshot


@dataclass
class Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    text: str | None = None
    version: int = 0
    holder: LockInfo | None = None
    lock_waits: int = 0  # times a lock() found the lock held and waited: tests sync on it


class MemoryStore:
    def __init__(self, shared: Shared) -> None:
        self.shared = shared

    def describe(self) -> str:
        return "memory"

    def read(self) -> Snapshot:
        with self.shared.lock:
            if self.shared.text is None:
                return Snapshot(None, None)
            return Snapshot(parse_state(self.shared.text), str(self.shared.version))

    def write(self, doc: StateDoc, token: str | None) -> str:
        with self.shared.lock:
            current = None if self.shared.text is None else str(self.shared.version)
            if current != token:
                raise StateConflictError("state changed since it was read")
            check_successor(parse_state(self.shared.text) if self.shared.text else None, doc)
            self.shared.text = render_state(doc)
            self.shared.version += 1
            return str(self.shared.version)

    def delete(self, token: str) -> None:
        with self.shared.lock:
            if self.shared.text is not None and str(self.shared.version) != token:
                raise StateConflictError("state changed since it was read")
            self.shared.text = None
            self.shared.version += 1


class MemoryLocker:
    def __init__(self, shared: Shared, clock: Callable[[], float] = time.time) -> None:
        self.shared = shared
        self.clock = clock

    def lock(self, info: LockInfo, deadline: float) -> None:
        while True:
            with self.shared.lock:
                holder = self.shared.holder
                if holder is None or holder.taken_over_at(self.clock()):
                    self.shared.holder = info
                    return
                self.shared.lock_waits += 1
            if time.time() >= deadline:
                raise LockHeldError(holder, "demo/prod")
            time.sleep(0.05)

    def refresh(self, info: LockInfo) -> None:
        with self.shared.lock:
            if self.shared.holder is None or self.shared.holder.id != info.id:
                raise LockError("not held")
            self.shared.holder = info

    def unlock(self, lock_id: str) -> None:
        with self.shared.lock:
            if self.shared.holder is None or self.shared.holder.id != lock_id:
                raise LockError("lock id does not match")
            self.shared.holder = None

    def holder(self) -> LockInfo | None:
        with self.shared.lock:
            return self.shared.holder

    def force_unlock(self, lock_id: str) -> None:
        self.unlock(lock_id)
