"""RunPod REST v2 client: typed errors, retries with backoff, rate-limit pacing.

Only `https://api.runpod.io/v2` is spoken (v1 is retired). The key travels only
in the Authorization header and only to the configured base URL.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import requests

from gitops_runner import __version__
from gitops_runner.http_session import http_session
from gitops_runner.runpod.errors import (
    CreateOutcomeUnknownError,
    RateLimitedError,
    RunPodError,
    TransientError,
    error_for,
)
from gitops_runner.runpod.network_volumes import NetworkVolumesApi
from gitops_runner.runpod.ratelimit import Pacer
from gitops_runner.runpod.retry import Guard, RetryPolicy, json_or_none
from gitops_runner.runpod.sse import lines_until_quiet

DEFAULT_API_URL = "https://api.runpod.io"
DEFAULT_MAX_WAIT = 300.0  # seconds a single rate-limit wait may take (CONTRACT §10)
MAX_PAGES = 1000  # a cursor loop that never ends is RunPod's bug, not a reason to hang
Pod = dict[str, Any]


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self.lock:
            self.value += 1


class RunCancelledError(RunPodError):
    """The run was interrupted (or lost its lock): no further request is sent."""


class RunPodClient(NetworkVolumesApi):
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
        max_wait: float = DEFAULT_MAX_WAIT,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """`cancel` ends every wait and stops every request once set: pass a `sleep`
        that returns early when it is set (e.g. a Clock's sleep bound to it)."""
        self.base = api_url.rstrip("/")
        self._key = api_key
        self._session = session or http_session(api_url)
        self._timeout = timeout
        self._policy = RetryPolicy(max_retries, max_retry_seconds, backoff_base, max_wait)
        self._sleep = sleep
        self._clock = clock
        self.cancel = cancel or threading.Event()
        self._wall = wall
        self.pacer = Pacer(clock, sleep, max_wait)
        self._count = _Counter()
        self._guard: Guard | None = None

    @property
    def request_count(self) -> int:
        return self._count.value

    def guarded(self, guard: Guard) -> RunPodClient:
        """This client (same connection, pacing and count) for a locked run: `guard` is
        checked right before every request, and ends every wait it makes (CONTRACT §7)."""
        view = copy.copy(self)
        view._guard = guard
        return view

    # -- pods ---------------------------------------------------------------
    def list_pods(self) -> list[Pod]:
        """Every pod, following `nextCursor` pages if RunPod sends them.

        v2.9.0 has no pagination; a later version may add cursors (RUNPOD.md §1.1).
        The `cursor` query name is our guess (UNCERTAIN); unknown parameters are
        ignored by v2, so on a server without pagination this never loops.
        """
        pods: list[Pod] = []
        path = "/v2/pods"
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = self._call("GET", path)
            page = body.get("pods") if isinstance(body, dict) else None
            if not isinstance(page, list):
                raise TransientError("RunPod GET /v2/pods returned no 'pods' list; "
                                     "is RUNPOD_API_URL pointing at the v2 API?")
            pods.extend(p for p in page if isinstance(p, dict))
            cursor = body.get("nextCursor")
            if not isinstance(cursor, str) or not cursor:
                return pods
            if cursor in seen:
                raise TransientError(f"RunPod GET /v2/pods sent cursor {cursor!r} twice; "
                                     "the pod list cannot be read completely")
            seen.add(cursor)
            path = "/v2/pods?" + urlencode({"cursor": cursor})
        raise TransientError(f"RunPod GET /v2/pods returned more than {MAX_PAGES} pages")

    def get_pod(self, pod_id: str) -> Pod:
        pod = self._call("GET", f"/v2/pods/{pod_id}")
        if not isinstance(pod, dict) or not pod.get("id"):
            raise TransientError(f"RunPod GET /v2/pods/{pod_id} returned no pod")
        return dict(pod)

    def create_pod(self, body: dict[str, Any]) -> Pod:
        """Create a pod. Never retried on 5xx or timeouts: the pod may exist.

        Raises CreateOutcomeUnknownError then, and also for a success answer
        without a pod in it; the caller re-lists and adopts.
        """
        try:
            pod = self._call("POST", "/v2/pods", body, retry_transient=False)
        except TransientError as exc:
            raise CreateOutcomeUnknownError(
                f"{exc} — the pod may or may not have been created", exc.status, exc.detail
            ) from None
        if not isinstance(pod, dict) or not isinstance(pod.get("id"), str) or not pod["id"]:
            raise CreateOutcomeUnknownError(
                "RunPod POST /v2/pods answered success without a pod id — the pod may or may "
                "not have been created")
        return dict(pod)

    def update_pod(self, pod_id: str, body: dict[str, Any]) -> Pod:
        return dict(self._call("PATCH", f"/v2/pods/{pod_id}", body))

    def delete_pod(self, pod_id: str) -> None:
        self._call("DELETE", f"/v2/pods/{pod_id}")

    def pod_action(self, pod_id: str, action: str) -> Pod | None:
        result = self._call("POST", f"/v2/pods/{pod_id}/action", {"action": action})
        return dict(result) if result else None

    # -- catalog ------------------------------------------------------------
    def list_gpu_types(self, availability: bool = False, cloud: str | None = None,
                       count: int | None = None) -> list[dict[str, Any]]:
        """The GPU catalog. With `availability`, also stock levels overall and per data
        center and the CUDA versions on offer, for pods (`product=POD`, which the spec
        requires with include) on `cloud` (RunPod's default: SECURE) for `count` GPUs."""
        path = "/v2/catalog/gpus"
        if availability:
            params = {"include": "AVAILABILITY", "product": "POD"}
            if cloud:
                params["cloud"] = cloud
            if count:
                params["count"] = str(count)
            path += "?" + urlencode(params)
        body = self._call("GET", path)
        gpus = body.get("gpus") if isinstance(body, dict) else None
        return [g for g in gpus if isinstance(g, dict)] if isinstance(gpus, list) else []

    # -- logs ---------------------------------------------------------------
    def stream_logs(self, pod_id: str, tail: int = 100, follow: bool = False,
                    idle_seconds: float = 2.0,
                    first_event_seconds: float = 30.0,
                    since: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield log events from the v2 SSE stream. Without follow, stop once it goes
        quiet: `first_event_seconds` for the backfill to start (RunPod can take a
        while to attach), then `idle_seconds` between events. `since` (RFC 3339):
        only events at or after it, for resuming a stream that closed."""
        params = {"tail": str(tail), "source": "container"}
        if since:
            params["since"] = since
        self._before_send()
        headers = {**self._headers(), "Accept": "text/event-stream"}
        try:
            resp = self._session.get(f"{self.base}/v2/pods/{pod_id}/logs", params=params,
                                     headers=headers, stream=True,
                                     timeout=(self._timeout, None if follow
                                              else first_event_seconds))
        except requests.RequestException as exc:
            raise TransientError(f"RunPod logs for {pod_id}: {type(exc).__name__}") from None
        if resp.status_code != 200:
            with resp:
                raise error_for(resp.status_code, "GET", f"/v2/pods/{pod_id}/logs",
                                json_or_none(resp.content))
        try:
            if follow:  # no cut-off (read timeout None): the caller stops following
                with resp:
                    yield from _events(resp.iter_lines(chunk_size=1, decode_unicode=True))
            else:  # stop once it goes quiet; the reader thread closes the response
                yield from _events(lines_until_quiet(resp, first_event_seconds, idle_seconds,
                                                     self._clock, self._sleep,
                                                     self.cancel.is_set))
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
            if follow:
                raise TransientError(f"RunPod log stream for {pod_id} broke") from None

    # -- plumbing -----------------------------------------------------------
    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                retry_transient: bool = True) -> Any:
        """One v2 call with this client's retries and pacing (runpod/serverless.py)."""
        return self._call(method, path, body, retry_transient)

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._key}",
            "Accept": "application/json",
            "User-Agent": f"gitops-runner/{__version__}",
        }

    def _before_send(self) -> None:
        """Pace, then the last look before a request leaves: interrupted, or (for a
        locked run) the lease lost? Nothing is sent."""
        self._pause(self.pacer.delay())
        if self.cancel.is_set():
            raise RunCancelledError("the run was interrupted; no further RunPod request is sent")
        if self._guard is not None:
            self._guard.check()
        self._count.add()

    def _pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._guard is None:
            self._sleep(seconds)
        elif self._guard.wait(seconds):
            self._guard.check()  # raises: the lease is gone, the wait ends here

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              retry_transient: bool = True) -> Any:
        started = self._clock()
        attempt = 0
        policy = self._policy
        while True:
            attempt += 1
            self._before_send()
            answer: requests.Response | None = None
            try:
                resp = self._session.request(
                    method, self.base + path, json=body, headers=self._headers(),
                    timeout=self._timeout,
                )
            except requests.RequestException as exc:
                error: RunPodError = TransientError(
                    f"RunPod {method} {path} failed: {type(exc).__name__} "
                    f"(network problem or timeout)")
            else:
                answer = resp
                self.pacer.observe(resp.headers.get("RateLimit"))
                if resp.status_code < 400:
                    return _parsed(resp, method, path)
                error = error_for(resp.status_code, method, path, json_or_none(resp.content))
            # A wait longer than max_wait fails at once, whatever retries are left.
            wait = (policy.rate_limit_wait(method, path, error,
                                           answer.headers if answer is not None else {},
                                           attempt, self._wall())
                    if isinstance(error, RateLimitedError) else 0.0)
            elapsed = self._clock() - started
            if attempt > policy.max_retries or elapsed > policy.max_retry_seconds:
                raise error
            if isinstance(error, RateLimitedError):
                self.pacer.hold(wait)
                continue
            if isinstance(error, TransientError) and retry_transient:
                self._pause(min(policy.backoff(attempt),
                                max(0.0, policy.max_retry_seconds - elapsed)))
                continue
            raise error


def _parsed(resp: requests.Response, method: str, path: str) -> Any:
    if resp.status_code == 204 or not resp.content:
        return {}
    parsed = json_or_none(resp.content)
    if parsed is None:
        raise TransientError(f"RunPod {method} {path} returned a body that is not JSON")
    return parsed


def _events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects in an SSE stream's `data:` lines; anything else is skipped."""
    for line in lines:
        if not line or not line.startswith("data:"):
            continue
        try:
            event = json.loads(line[5:].strip())
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event
