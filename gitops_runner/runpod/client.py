"""RunPod REST v2 client: typed errors, retries with backoff, rate-limit pacing.

Only `https://api.runpod.io/v2` is spoken (v1 is retired). The key travels only
in the Authorization header and only to the configured base URL.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from gitops_runner import __version__
from gitops_runner.runpod.errors import (
    CreateOutcomeUnknownError,
    RateLimitedError,
    RunPodError,
    TransientError,
    error_for,
)
from gitops_runner.runpod.ratelimit import Pacer

DEFAULT_API_URL = "https://api.runpod.io"
Pod = dict[str, Any]


class RunCancelledError(RunPodError):
    """The run was interrupted (or lost its lock): no further request is sent."""


class RunPodClient:
    """One client per run. Thread-safe: apply shares it across worker threads."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_retry_seconds: float = 120.0,
        backoff_base: float = 0.5,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        cancel: threading.Event | None = None,
    ) -> None:
        """`cancel` ends every wait and stops every request once set: pass a `sleep`
        that returns early when it is set (e.g. a Clock's sleep bound to it)."""
        self.base = api_url.rstrip("/")
        self._key = api_key
        self._session = session or requests.Session()
        self._timeout = timeout
        self._max_retries = max_retries
        self._max_retry_seconds = max_retry_seconds
        self._backoff_base = backoff_base
        self._sleep = sleep
        self._clock = clock
        self.cancel = cancel or threading.Event()
        self.pacer = Pacer(clock, sleep)
        self._count_lock = threading.Lock()
        self.request_count = 0

    # -- pods ---------------------------------------------------------------
    def list_pods(self) -> list[Pod]:
        body = self._call("GET", "/v2/pods")
        pods = body.get("pods") if isinstance(body, dict) else None
        if not isinstance(pods, list):
            raise TransientError("RunPod GET /v2/pods returned no 'pods' list; "
                                 "is RUNPOD_API_URL pointing at the v2 API?")
        return [p for p in pods if isinstance(p, dict)]

    def get_pod(self, pod_id: str) -> Pod:
        return dict(self._call("GET", f"/v2/pods/{pod_id}"))

    def create_pod(self, body: dict[str, Any]) -> Pod:
        """Create a pod. Never retried on 5xx or timeouts: the pod may exist.

        Raises CreateOutcomeUnknownError then; the caller re-lists and adopts.
        """
        try:
            return dict(self._call("POST", "/v2/pods", body, retry_transient=False))
        except TransientError as exc:
            raise CreateOutcomeUnknownError(
                f"{exc} — the pod may or may not have been created", exc.status, exc.detail
            ) from None

    def update_pod(self, pod_id: str, body: dict[str, Any]) -> Pod:
        return dict(self._call("PATCH", f"/v2/pods/{pod_id}", body))

    def delete_pod(self, pod_id: str) -> None:
        self._call("DELETE", f"/v2/pods/{pod_id}")

    def pod_action(self, pod_id: str, action: str) -> Pod | None:
        result = self._call("POST", f"/v2/pods/{pod_id}/action", {"action": action})
        return dict(result) if result else None

    # -- catalog ------------------------------------------------------------
    def list_gpu_types(self) -> list[dict[str, Any]]:
        body = self._call("GET", "/v2/catalog/gpus")
        gpus = body.get("gpus") if isinstance(body, dict) else None
        return [g for g in gpus if isinstance(g, dict)] if isinstance(gpus, list) else []

    # -- logs ---------------------------------------------------------------
    def stream_logs(self, pod_id: str, tail: int = 100, follow: bool = False,
                    idle_seconds: float = 2.0) -> Iterator[dict[str, Any]]:
        """Yield log events. Without follow, stop once the stream goes quiet."""
        params = {"tail": str(tail), "source": "container"}
        self.pacer.wait()
        self._check_cancel()
        self._counted()
        try:
            resp = self._session.get(
                f"{self.base}/v2/pods/{pod_id}/logs", params=params, headers=self._headers(),
                stream=True, timeout=(self._timeout, None if follow else idle_seconds),
            )
        except requests.RequestException as exc:
            raise TransientError(f"RunPod logs for {pod_id}: {type(exc).__name__}") from None
        with resp:
            if resp.status_code != 200:
                raise error_for(resp.status_code, "GET", f"/v2/pods/{pod_id}/logs",
                                _json_or_none(resp.content))
            try:
                for line in resp.iter_lines(chunk_size=1, decode_unicode=True):
                    if line and line.startswith("data:"):
                        try:
                            yield json.loads(line[5:].strip())
                        except ValueError:
                            continue
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
                if follow:
                    raise TransientError(f"RunPod log stream for {pod_id} broke") from None

    # -- plumbing -----------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._key}",
            "Accept": "application/json",
            "User-Agent": f"gitops-runner/{__version__}",
        }

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise RunCancelledError("the run was interrupted; no further RunPod request is sent")

    def _counted(self) -> None:
        with self._count_lock:
            self.request_count += 1

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              retry_transient: bool = True) -> Any:
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            self.pacer.wait()
            self._check_cancel()
            self._counted()
            try:
                resp = self._session.request(
                    method, self.base + path, json=body, headers=self._headers(),
                    timeout=self._timeout,
                )
            except requests.RequestException as exc:
                error: RunPodError = TransientError(
                    f"RunPod {method} {path} failed: {type(exc).__name__} "
                    f"(network problem or timeout)")
                retry_after = None
            else:
                self.pacer.observe(resp.headers.get("RateLimit"))
                if resp.status_code < 400:
                    if resp.status_code == 204 or not resp.content:
                        return {}
                    parsed = _json_or_none(resp.content)
                    if parsed is None:
                        raise TransientError(f"RunPod {method} {path} returned a body that is "
                                             "not JSON")
                    return parsed
                error = error_for(resp.status_code, method, path, _json_or_none(resp.content))
                retry_after = _retry_after(resp.headers.get("Retry-After"))
            elapsed = self._clock() - started
            if attempt > self._max_retries or elapsed > self._max_retry_seconds:
                raise error
            if isinstance(error, RateLimitedError):
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                self.pacer.hold(wait)
                continue
            if isinstance(error, TransientError) and retry_transient:
                self._sleep(min(self._backoff(attempt),
                                max(0.0, self._max_retry_seconds - elapsed)))
                self._check_cancel()
                continue
            raise error

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spread retries of parallel workers apart.
        return float(random.uniform(0, min(30.0, self._backoff_base * 2 ** (attempt - 1))))


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    # "inf", "nan" and the like are not a wait anyone can sleep: back off instead.
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
