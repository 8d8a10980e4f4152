"""Time, injected: the engine reads and waits on a Clock so tests can run in virtual time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Epoch seconds."""

    def monotonic(self) -> float:
        """Seconds for measuring elapsed time."""

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> bool:
        """Wait; True when `cancel` was set meanwhile (the wait ends at once)."""


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> bool:
        if cancel is None:
            time.sleep(max(0.0, seconds))
            return False
        return cancel.wait(max(0.0, seconds))


def parse_rfc3339(text: str, what: str) -> datetime:
    """An RFC 3339 time with a UTC offset (or Z), e.g. 2026-12-04T20:05:00+01:00."""
    from gitops_runner.errors import UsageError

    try:
        at = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise UsageError(f"{what}: '{text}' is not an RFC 3339 time; write e.g. "
                         "2026-12-04T20:05:00+01:00 or 2026-12-04T19:05:00Z") from None
    if at.tzinfo is None:
        raise UsageError(f"{what}: '{text}' has no UTC offset; add Z or +HH:MM")
    return at


def utcnow(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.time(), UTC)


def utc_text(clock: Clock) -> str:
    return utcnow(clock).strftime("%Y-%m-%dT%H:%M:%SZ")
