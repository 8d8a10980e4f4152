"""Typed RunPod errors, built from RFC 9457 problem+json bodies.

Messages hold the method, path, status and RunPod's own detail: never the API
key, request headers or env values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from gitops_runner.errors import GitopsError

# RunPod reports "no capacity" as a plain 400 with only prose to tell it apart
# (RUNPOD.md §7.2); these fragments cover the texts seen across its APIs.
CAPACITY_TEXTS = (
    "no longer any instances",
    "no instances currently available",
    "not enough free gpus",
    "does not have the resources",
    "no instances available",
)


class RunPodError(GitopsError):
    retryable = False

    def __init__(self, message: str, status: int | None = None, detail: str = "",
                 errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.errors = errors or []


class AuthError(RunPodError):
    """401/403: the key is missing, wrong, or lacks access."""


class ForbiddenError(AuthError):
    """403: the key is valid but may not do this (a read-only key, or no access to
    the pool). Never "no capacity", never retried."""


class InsufficientBalanceError(RunPodError):
    """402: the account is out of funds. Stop; retrying will not help."""


class NotFoundError(RunPodError):
    """404: no such pod (or it was deleted)."""


class InvalidTransitionError(RunPodError):
    """409: the action is not allowed in the pod's current status."""


class InvalidRequestError(RunPodError):
    """422 (or a 400 that is not about capacity): the request is wrong. Never retried."""


class CapacityError(RunPodError):
    """400 "no instances available": try the next GPU/data-center candidate."""


class CandidateRejectedError(CapacityError):
    """Any other 400 on create. RunPod's spec: capacity 400s carry no machine-readable
    code, so every 400 means "try the next candidate"; when all candidates fail,
    the last detail is probably about the request itself."""


class RateLimitedError(RunPodError):
    """429 that outlasted the client's retries."""

    retryable = True


class RateLimitWaitTooLongError(RateLimitedError):
    """A 429 asks to wait longer than the run will (`max_wait`): fail now, with the
    window and when it resets, instead of sleeping for hours holding the lock."""

    retryable = False

    def __init__(self, method: str, path: str, window: str, wait: float | None,
                 reset_at: datetime | None, max_wait: float) -> None:
        self.window = window
        self.wait = wait
        self.reset_at = reset_at
        self.max_wait = max_wait
        when = (f"resets in {int(wait)} s, at {reset_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
                if wait is not None and reset_at is not None else
                "sent no readable Retry-After, so the reset time is unknown")
        super().__init__(f"RunPod {method} {path}: rate limit exceeded for the {window} window; "
                         f"it {when}, longer than the {max_wait:g} s this run waits "
                         "(--max-wait). Run again after the reset, or raise --max-wait", 429)


class TransientError(RunPodError):
    """5xx, connection errors and timeouts."""

    retryable = True


class CreateOutcomeUnknownError(TransientError):
    """A create failed in a way that may still have created the pod.

    The caller must re-list pods and adopt by markers rather than create again.
    """


def is_capacity_text(detail: str) -> bool:
    lowered = detail.lower()
    return any(text in lowered for text in CAPACITY_TEXTS)


def error_for(status: int, method: str, path: str, body: object) -> RunPodError:
    # Bodies that are not problem+json (an HTML 502 from a proxy) still map by status.
    body = body if isinstance(body, dict) else {}
    detail = str(body.get("detail") or body.get("title") or "")
    raw_errors = body.get("errors")
    errors = [str(e) for e in raw_errors] if isinstance(raw_errors, list) else []
    said = f"RunPod {method} {path} returned {status}" + (f": {detail}" if detail else "")
    if errors:
        said += " (" + "; ".join(errors[:5]) + ")"
    cls: type[RunPodError]
    hint = ""
    if status == 401:
        cls, hint = AuthError, (". Check RUNPOD_API_KEY: it must be a valid key with read/write "
                                "access to pods")
    elif status == 403:
        cls, hint = ForbiddenError, (". The API key may not do this: a read-only or restricted "
                                     "key, or no access to this GPU pool. Use a key with "
                                     "read/write access to pods")
    elif status == 402:
        cls, hint = InsufficientBalanceError, ". Add funds to the RunPod account and run again"
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = InvalidTransitionError
    elif status == 429:
        cls = RateLimitedError
    elif status == 400 and is_capacity_text(detail):
        cls = CapacityError
    elif status == 400 and method == "POST" and path == "/v2/pods":
        cls = CandidateRejectedError
    elif 400 <= status < 500:
        cls = InvalidRequestError
    else:
        cls = TransientError
    return cls(said + hint, status, detail, errors)


def reset_time(wait: float, now: float) -> datetime:
    return datetime.fromtimestamp(now + wait, UTC)


def placement_error(pod: str, attempts: Sequence[tuple[str, RunPodError]],
                    no_stock: bool = False) -> RunPodError:
    """The one error to report when every create candidate failed.

    `attempts`: (candidate label, error) in the order tried. 403 on every candidate
    means the key lacks permission (not capacity, not retryable); capacity wording, or
    `no_stock` (RunPod's catalog shows no candidate in stock now), means stock;
    otherwise the last detail is shown, since a 400 on every candidate is then
    usually about the request (RunPod's spec).
    """
    if not attempts:
        return RunPodError(f"{pod}: no GPU candidate to try")
    tried = ", ".join(label for label, _ in attempts)
    last = attempts[-1][1]
    detail = last.detail or str(last)
    if all(isinstance(e, ForbiddenError) for _, e in attempts):
        return ForbiddenError(f"{pod}: RunPod refused every candidate with 403 ({tried}): the "
                              "API key lacks permission to create pods there. Use a key with "
                              f"read/write access to pods. RunPod said: {detail}", 403, detail)
    if no_stock and all(isinstance(e, CapacityError) for _, e in attempts):
        stock: RunPodError = CapacityError(
            f"{pod}: no stock on any candidate ({tried}): RunPod's catalog shows none of them "
            f"in stock now, so this was stock, not the request; RunPod said: {detail}. Add "
            "fallback GPUs or data centers, or try again later", 400, detail)
        stock.retryable = True
        return stock
    if all(type(e) is CapacityError for _, e in attempts):
        error: RunPodError = CapacityError(
            f"{pod}: no capacity on any candidate ({tried}); RunPod said: {detail}. Add "
            "fallback GPUs or data centers, or try again later", 400, detail)
        error.retryable = True
        return error
    return CandidateRejectedError(
        f"{pod}: every candidate was refused ({tried}); the last answer was: {detail}. When "
        "every candidate fails this way the request itself is the likely cause", last.status,
        detail)
