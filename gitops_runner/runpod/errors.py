"""Typed RunPod errors, built from RFC 9457 problem+json bodies.

Messages hold the method, path, status and RunPod's own detail: never the API
key, request headers or env values.
"""

from __future__ import annotations

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


class RateLimitedError(RunPodError):
    """429 that outlasted the client's retries."""

    retryable = True


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
    if status in (401, 403):
        cls, hint = AuthError, (". Check RUNPOD_API_KEY: it must be a valid key with read/write "
                                "access to pods")
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
    elif 400 <= status < 500:
        cls = InvalidRequestError
    else:
        cls = TransientError
    return cls(said + hint, status, detail, errors)
