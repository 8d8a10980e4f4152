"""Read RunPod's RateLimit headers and pace requests before the quota runs out.

`RateLimit: "minute";r=3;t=12, "hour";r=2800;t=1812` — r = requests left in the
window, t = seconds until it resets.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

_MEMBER = re.compile(r'"?(?P<name>[a-z]+)"?\s*;(?P<params>[^,]*)')
# Below this many requests left, spread the remaining ones over the window.
LOW_WATER = 5
MAX_PACING_SECONDS = 60.0


def parse_ratelimit(header: str) -> dict[str, tuple[int, float]]:
    windows: dict[str, tuple[int, float]] = {}
    for match in _MEMBER.finditer(header or ""):
        params = dict(
            p.strip().split("=", 1) for p in match.group("params").split(";") if "=" in p
        )
        try:
            windows[match.group("name")] = (int(params["r"]), float(params["t"]))
        except (KeyError, ValueError):
            continue
    return windows


def pacing_delay(header: str, max_wait: float = float("inf")) -> float:
    """Seconds to wait before the next request so no window hits zero mid-burst.

    An exhausted window that resets later than `max_wait` is not waited for: the
    next request's 429 then fails the run at once, naming the window and reset.
    """
    delay = 0.0
    for remaining, reset in parse_ratelimit(header).values():
        if remaining <= 0 and reset > max_wait:
            continue
        if remaining <= 0:
            delay = max(delay, reset)
        elif remaining < LOW_WATER:
            delay = max(delay, reset / (remaining + 1))
    return min(delay, MAX_PACING_SECONDS)


class Pacer:
    """Shared by all threads of one client: the next request may start at `not_before`."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], object],
                 max_wait: float = float("inf")) -> None:
        self._clock = clock
        self._max_wait = max_wait
        self._sleep = sleep
        self._lock = threading.Lock()
        self._not_before = 0.0
        self.waited = 0.0

    def delay(self) -> float:
        """Seconds until the next request may start (counted as waited: the caller waits)."""
        with self._lock:
            delay = self._not_before - self._clock()
        if delay > 0:
            self.waited += delay
        return max(0.0, delay)

    def wait(self) -> None:
        delay = self.delay()
        if delay > 0:
            self._sleep(delay)

    def observe(self, header: str | None) -> None:
        if not header:
            return
        delay = pacing_delay(header, self._max_wait)
        if delay > 0:
            with self._lock:
                self._not_before = max(self._not_before, self._clock() + delay)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)
