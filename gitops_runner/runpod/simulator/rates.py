"""Per-key minute/hour/day request windows, with RunPod's RateLimit headers.

A 429 names the window that ran out and carries its reset as Retry-After: for an
exhausted hour or day window that is thousands of seconds (v2 spec,
TooManyRequestsError; RUNPOD.md §1.5).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RateVerdict:
    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    window: str = "minute"  # the exhausted window with the latest reset


def check(stamps: list[float], quotas: list[tuple[str, int, int]],
          now: float) -> tuple[RateVerdict, list[float]]:
    """Count one request against `quotas` (name, quota, seconds); return the verdict and
    the stamps to keep."""
    stamps = [t for t in stamps if now - t < max(length for _, _, length in quotas)]
    allowed = True
    retry_after = 0.0
    window = "minute"
    parts = []
    for name, quota, length in quotas:
        inside = [t for t in stamps if now - t < length]
        remaining = quota - len(inside)
        reset = (inside[0] + length - now) if inside else float(length)
        if remaining <= 0:
            allowed = False
            if reset >= retry_after:
                retry_after, window = reset, name
        parts.append((name, quota, length, remaining, reset))
    if allowed:
        stamps.append(now)
    headers = {
        "RateLimit": ", ".join(f'"{n}";r={max(0, r - (1 if allowed else 0))};t={int(t) + 1}'
                               for n, _, _, r, t in parts),
        "RateLimit-Policy": ", ".join(f'"{n}";q={q};w={w}' for n, q, w, _, _ in parts),
    }
    return RateVerdict(allowed, headers, retry_after, window), stamps
