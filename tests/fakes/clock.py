"""A clock tests move by hand."""

from __future__ import annotations

import threading
import time


class FakeClock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


class ScaledClock:
    """Virtual time running `factor` times faster than the wall clock.

    Unlike a clock moved by hand, threads that wait at once stay consistent with
    each other and with the simulator (which reads the same clock), so end-to-end
    applies with boots, health intervals and timeouts run in a fraction of the time.
    """

    def __init__(self, factor: float = 50.0, start: float | None = None,
                 jump_plain_sleeps: bool = False) -> None:
        self.factor = factor
        self.jump_plain_sleeps = jump_plain_sleeps
        self._start = time.time() if start is None else start
        self._jump = threading.Lock()
        self._real0 = time.monotonic()

    def time(self) -> float:
        return self._start + (time.monotonic() - self._real0) * self.factor

    def monotonic(self) -> float:
        return self.time()

    def __call__(self) -> float:
        return self.time()

    def advance(self, seconds: float) -> None:
        """Jump virtual time forward at once: the time between two runs, while nothing
        waits. Everything reads the one timeline, so to the engine and the simulator this
        is the same as sleeping, without the wall-clock wait (do not use it while another
        thread is in the middle of a timed wait it relies on)."""
        with self._jump:
            self._start += seconds

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> bool:
        real = max(0.0, seconds) / self.factor
        if cancel is None:
            if self.jump_plain_sleeps:
                self.advance(max(0.0, seconds))
            else:
                time.sleep(real)
            return False
        return cancel.wait(real)


# One virtual timeline for every in-process CLI run of the test session: sandbox pods
# persist between commands, so time must never run backwards from one run to the next.
# A plain sleep (no cancel event) is a command's own one-at-a-time wait (a GitHub retry's
# backoff, the wait for a merge's pull request link, a test letting time pass): it jumps.
# The waits that run side by side (boots, health checks, the lease's heartbeat, RunPod
# pacing) all take a cancel event and keep running in scaled real time.
VIRTUAL = ScaledClock(jump_plain_sleeps=True)
