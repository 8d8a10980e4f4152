"""Hold a stack's lock for the length of a flow, refreshing its lease."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from gitops_runner.errors import GitopsError
from gitops_runner.state.base import Locker, LockInfo

HEARTBEAT_SECONDS = 120.0


@contextlib.contextmanager
def held_lock(locker: Locker, info: LockInfo, wait_seconds: int,
              log: Callable[[str], None]) -> Iterator[LockInfo]:
    """Hold the stack's lock, refreshing its lease, and always release it."""
    # Lock deadlines are wall-clock time: other runners judge our lease by it.
    locker.lock(info, deadline=time.time() + wait_seconds)
    stop = threading.Event()
    current = [info]

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                current[0] = current[0].renewed()
                locker.refresh(current[0])
            except GitopsError as exc:
                log(f"warning: could not refresh the lock: {exc}")

    thread = threading.Thread(target=heartbeat, name="lock-heartbeat", daemon=True)
    thread.start()
    try:
        yield info
    finally:
        stop.set()
        thread.join(timeout=5)
        locker.unlock(info.id)
