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


def utcnow(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.time(), UTC)


def utc_text(clock: Clock) -> str:
    return utcnow(clock).strftime("%Y-%m-%dT%H:%M:%SZ")
