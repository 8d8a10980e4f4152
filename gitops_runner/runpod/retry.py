"""How long the client waits before sending again: retry backoff and 429 answers
(CONTRACT §10), and the guard that ends those waits for a run that may no longer write.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gitops_runner.runpod.errors import RateLimitWaitTooLongError, RunPodError, reset_time
from gitops_runner.runpod.ratelimit import parse_ratelimit

_WINDOW = re.compile(r"for the (\w+) window")


class Guard(Protocol):
    """A locked run's fence (engine/fence.py), as the client sees it."""

    def check(self) -> None:
        """Raise when no request may be sent any more (checked right before each send)."""

    def wait(self, seconds: float) -> bool:
        """Sleep; True at once when the run may no longer write (the wait ends)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    max_retry_seconds: float = 120.0
    backoff_base: float = 0.5
    max_wait: float = 300.0  # the longest single 429 wait (--max-wait)

    def backoff(self, attempt: int) -> float:
        # Full jitter: spread retries of parallel workers apart.
        return float(random.uniform(0, min(30.0, self.backoff_base * 2 ** (attempt - 1))))

    def rate_limit_wait(self, method: str, path: str, error: RunPodError,
                        headers: Mapping[str, str], attempt: int, now: float) -> float:
        """Seconds to wait after a 429, or RateLimitWaitTooLongError when over max_wait.
        `now`: epoch seconds, for the reset time the error names."""
        exhausted = sorted(((t, name) for name, (r, t) in
                            parse_ratelimit(headers.get("RateLimit") or "").items() if r <= 0),
                           reverse=True)
        said = _WINDOW.search(error.detail or "")
        window = said.group(1) if said else (exhausted[0][1] if exhausted else "unknown")
        raw = headers.get("Retry-After")
        wait: float | None
        if raw is not None:
            wait = retry_after(raw)  # malformed -> None -> counts as too long
        elif exhausted:
            wait = exhausted[0][0]
        else:
            wait = self.backoff(attempt)
        if wait is None or wait > self.max_wait:
            raise RateLimitWaitTooLongError(
                method, path, window, wait,
                reset_time(wait, now) if wait is not None else None, self.max_wait)
        return wait


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds. The spec says an integer; an HTTP date or anything
    else is treated as unreadable (None)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
