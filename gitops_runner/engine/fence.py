"""The fence between a run and the writes it may still make (CONTRACT §7, §10).

A run holds a stack's lock on a lease. From the moment the lease is lost (taken over,
removed, or not refreshed before its Expires minus the takeover margin) or the run is
interrupted, no RunPod or state write of that run may happen: the executor and the
journal call `check()` before every write, and every wait ends at once (`event`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from gitops_runner.engine.clock import Clock, SystemClock
from gitops_runner.errors import GitopsError
from gitops_runner.state.base import TAKEOVER_MARGIN_SECONDS


class LeaseLostError(GitopsError):
    """The run lost its lock (or was interrupted) and stopped before its next write."""


@dataclass
class Fence:
    clock: Clock = field(default_factory=SystemClock)
    event: threading.Event = field(default_factory=threading.Event)
    # Our own clock's last moment to write: the lease's Expires minus the margin.
    valid_until: float = math.inf
    reason: str = ""
    stack: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def extend(self, expires_epoch: float) -> None:
        with self._lock:
            self.valid_until = expires_epoch - TAKEOVER_MARGIN_SECONDS

    def lose(self, reason: str) -> None:
        with self._lock:
            if not self.event.is_set():
                self.reason = reason
                self.event.set()

    @property
    def lost(self) -> bool:
        self._expire()
        return self.event.is_set()

    def _expire(self) -> None:
        if not self.event.is_set() and self.clock.time() >= self.valid_until:
            self.lose("the lock's lease was not refreshed in time (it counts as expired "
                      f"{TAKEOVER_MARGIN_SECONDS}s before its Expires)")

    def check(self) -> None:
        """Raise LeaseLostError when the run may not write any more."""
        if self.lost:
            raise LeaseLostError(self.message())

    def message(self) -> str:
        where = f"{self.stack}: " if self.stack else ""
        reason = self.reason or "interrupted"
        return (f"{where}stopped making changes: {reason}. No RunPod or state write was made "
                "after that; check lock show and run again")
