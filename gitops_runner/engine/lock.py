"""Hold a stack's lock for the length of a flow, refreshing its lease; a lost lease
stops the run's writes through its Fence."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from gitops_runner.engine.clock import Clock, SystemClock, utcnow
from gitops_runner.engine.fence import Fence
from gitops_runner.errors import GitopsError
from gitops_runner.state.base import LEASE_SECONDS, Locker, LockInfo

HEARTBEAT_SECONDS = 120.0


class UnlockError(GitopsError):
    """Releasing the lock failed; raised only when the run itself succeeded."""


@contextlib.contextmanager
def held_lock(locker: Locker, info: LockInfo, wait_seconds: int,
              log: Callable[[str], None], clock: Clock | None = None,
              fence: Fence | None = None,
              unlock_errors: list[str] | None = None,
              lease: int = LEASE_SECONDS) -> Iterator[Fence]:
    """Hold the stack's lock, refreshing its lease, and always release it.

    A failure to release is logged and appended to `unlock_errors` when given (the
    caller reports it after its result); otherwise it is raised, but never in place of
    an error the flow itself raised.
    """
    clock = clock or SystemClock()
    fence = fence or Fence(clock)
    fence.stack = fence.stack or info.path
    # The lease is stamped on the run's clock (the fence judges it by the same clock);
    # the wait for a held lock is wall-clock time, as the lockers poll in it.
    info = info.renewed(now=utcnow(clock), lease=lease)
    locker.lock(info, deadline=time.time() + wait_seconds)
    info = _fresh_lease(locker, info, lease, clock, log)
    fence.extend(info.expires_epoch)
    with contextlib.suppress(GitopsError):
        if getattr(locker.holder(), "id", None) == info.id:
            # The lock record names its holder: re-read it before every write (fence.py).
            fence.watch(locker.holder, info.id)
    stop = threading.Event()
    thread = threading.Thread(target=_heartbeat,
                              args=(locker, info, lease, clock, fence, stop, log),
                              name="lock-heartbeat", daemon=True)
    thread.start()
    failed = True
    try:
        yield fence
        failed = False
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            locker.unlock(info.id)
        except GitopsError as exc:
            text = f"could not release the lock: {exc}"
            log(f"warning: {text}")
            if unlock_errors is not None:
                unlock_errors.append(text)
            elif not failed:
                raise UnlockError(text) from None


def _fresh_lease(locker: Locker, info: LockInfo, lease: int, clock: Clock,
                 log: Callable[[str], None]) -> LockInfo:
    """A lease is stamped when it is acquired, not when the wait for it began (§7): after
    waiting for a held lock, the stamp taken before the wait may be all but spent."""
    fresh = info.renewed(now=utcnow(clock), lease=lease)
    if fresh.expires_epoch - info.expires_epoch < 1:
        return info
    try:
        locker.refresh(fresh)
    except GitopsError as exc:
        log(f"warning: could not stamp the lease just acquired: {exc}")
        return info
    return fresh


def _heartbeat(locker: Locker, info: LockInfo, lease: int, clock: Clock, fence: Fence,
               stop: threading.Event, log: Callable[[str], None]) -> None:
    interval = min(HEARTBEAT_SECONDS, lease / 5)
    current = info
    # Wakes at the lease's last moment too, so that every wait ends when it runs out.
    while not clock.sleep(max(0.01, min(interval, fence.valid_until - clock.time())), stop):
        if fence.lost:
            return
        try:
            renewed = current.renewed(now=utcnow(clock), lease=lease)
            locker.refresh(renewed)
        except GitopsError as exc:
            if _taken(locker, current.id):
                fence.lose(f"the lock was taken over or removed ({exc})")
                return
            log(f"warning: could not refresh the lock: {exc}")
            continue
        current = renewed
        fence.extend(current.expires_epoch)
        if fence.lost:  # refreshed too late: writes already stopped
            return


def _taken(locker: Locker, lock_id: str) -> bool:
    try:
        holder = locker.holder()
    except GitopsError:
        return False  # cannot tell; the lease clock decides
    return holder is None or holder.id != lock_id
