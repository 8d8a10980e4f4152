"""The fence between a run and the writes it may still make (CONTRACT §7, §10).

A run holds a stack's lock on a lease. From the moment the lease is lost (taken over,
removed, or not refreshed before its Expires minus the takeover margin) or the run is
interrupted, no RunPod or state write of that run may happen: every write calls
`check()` right before it is sent, and every wait (`wait`, or any wait on `event`) ends
at once.

`check()` also re-reads the lock's holder. The lease's own clock (`valid_until`) covers
a lease that ran out, but not a force-unlock followed by another run's lock, which can
happen at any moment: only the lock record tells. One read (a DynamoDB GetItem, an S3
GET) costs far less than a conditional write, and concurrent writers share one read
that started after they asked, so a takeover is seen before the next write, not only at
the next heartbeat.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.engine.clock import Clock, SystemClock
from gitops_runner.errors import GitopsError
from gitops_runner.state.base import TAKEOVER_MARGIN_SECONDS

# A wait looks at the lease's clock at least this often (seconds of the run's clock).
WAIT_SLICE = 1.0


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
    # The run's interrupt (SIGINT/SIGTERM): ends waits and stops writes like a lost lease.
    interrupt: threading.Event | None = None
    # Writes RunPod answered after the lease was lost (sent before it was noticed).
    late_writes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _holder: Callable[[], Any] | None = field(default=None, repr=False)
    _lock_id: str = ""
    _read: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _read_started: float = -math.inf

    def extend(self, expires_epoch: float) -> None:
        with self._lock:
            self.valid_until = expires_epoch - TAKEOVER_MARGIN_SECONDS

    def watch(self, holder: Callable[[], Any], lock_id: str) -> None:
        """Re-read the lock's holder (a LockInfo or None) before every write."""
        self._holder, self._lock_id = holder, lock_id

    def lose(self, reason: str) -> None:
        with self._lock:
            if not self.event.is_set():
                self.reason = reason
                self.event.set()

    @property
    def lost(self) -> bool:
        self._expire()
        return self.event.is_set()

    @property
    def stopped(self) -> bool:
        """Lost, or the run was interrupted: nothing more may be sent."""
        return self.lost or (self.interrupt is not None and self.interrupt.is_set())

    def _expire(self) -> None:
        if not self.event.is_set() and self.clock.time() >= self.valid_until:
            self.lose("the lock's lease was not refreshed in time (it counts as expired "
                      f"{TAKEOVER_MARGIN_SECONDS}s before its Expires)")

    def check(self) -> None:
        """Right before a RunPod write: raise LeaseLostError when the run may not write
        any more (lease lost, or interrupted)."""
        if self.interrupt is not None and self.interrupt.is_set():
            raise LeaseLostError("interrupted: no further RunPod request is sent")
        self.check_lease()

    def check_lease(self) -> None:
        """Right before a state write. An interrupted run still journals what it did
        (a pod it created must not be forgotten); only a lost lease stops it."""
        if not self.lost:
            self._confirm_holder()
        if self.lost:
            raise LeaseLostError(self.message())

    def _confirm_holder(self) -> None:
        if self._holder is None:
            return
        asked = time.monotonic()
        with self._read:
            if self._read_started >= asked:
                return  # a read that began after we asked has just answered
            self._read_started = time.monotonic()
            try:
                holder = self._holder()
            except GitopsError:
                return  # cannot tell: the lease's clock decides
        if holder is None or getattr(holder, "id", None) != self._lock_id:
            who = "removed" if holder is None else f"taken over by {holder.who}"
            self.lose(f"the lock was {who} (seen right before a write)")

    def wait(self, seconds: float) -> bool:
        """Sleep on the run's clock; True (at once) when the run may no longer write."""
        end = self.clock.time() + max(0.0, seconds)
        while not self.stopped:
            left = end - self.clock.time()
            if left <= 0:
                return False
            step = min(left, WAIT_SLICE, max(0.0, self.valid_until - self.clock.time()))
            self.clock.sleep(step, self.event)
        return True

    def sent(self, what: str) -> None:
        """A write RunPod answered: if the lease was lost meanwhile, say so in the report."""
        if self.lost:
            with self._lock:
                self.late_writes.append(what)

    def message(self) -> str:
        where = f"{self.stack}: " if self.stack else ""
        reason = self.reason or "interrupted"
        late = (f" ({'; '.join(self.late_writes)} was sent before that was noticed; the "
                "next apply finds it by its markers)" if self.late_writes else "")
        return (f"{where}stopped making changes: {reason}. No RunPod or state write was sent "
                f"after that{late}; check lock show and run again")
