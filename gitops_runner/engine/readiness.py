"""Wait until a pod is ready: RUNNING, its ports mapped, its health check 2xx.

The health check goes to the pod through RUNPOD_PROXY_URL with a plain session:
the RunPod API key is never sent to a pod.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from gitops_runner.config.model import HealthCheck
from gitops_runner.engine.clock import Clock, SystemClock
from gitops_runner.engine.progress import HEARTBEAT_SECONDS, progress_text
from gitops_runner.engine.watch import PodWatcher
from gitops_runner.http_session import http_session
from gitops_runner.plan.observed import ObservedPod, parse_pod, restarted
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import NotFoundError, TransientError

DEFAULT_TIMEOUT = 900
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Readiness:
    ready: bool
    status: str
    detail: str
    cost: float = 0.0  # RunPod's $/h for the pod at the last look


def proxy_url(template: str, pod_id: str, port: int) -> str:
    return template.replace("{pod_id}", pod_id).replace("{port}", str(port))


def health_ok(session: requests.Session, url: str) -> tuple[bool, str]:
    try:
        # A pod may answer with a redirect to anywhere: never follow it (3xx is not healthy).
        resp = session.get(url, timeout=10, allow_redirects=False)
    except requests.RequestException as exc:
        return False, type(exc).__name__
    return 200 <= resp.status_code < 300, f"HTTP {resp.status_code}"


def model_listed(session: requests.Session, base: str, health: HealthCheck,
                 secrets: Mapping[str, str]) -> tuple[bool, str]:
    """A model pod's default check, after /health: GET /v1/models lists the served name
    (CONTRACT §4), sending the model's API key (never RunPod's)."""
    headers = {}
    if health.api_key is not None and secrets.get(health.api_key.name):
        headers["Authorization"] = f"Bearer {secrets[health.api_key.name]}"
    try:
        resp = session.get(base + "/v1/models", timeout=10, allow_redirects=False,
                           headers=headers)
        listed = [str(m.get("id")) for m in resp.json().get("data", [])] \
            if resp.status_code == 200 else []
    except (requests.RequestException, ValueError, AttributeError) as exc:
        return False, f"/v1/models: {type(exc).__name__}"
    if health.served_model in listed:
        return True, f"HTTP 200, /v1/models lists {health.served_model}"
    return False, f"/v1/models: HTTP {resp.status_code}, {health.served_model} not listed yet"


# RunPod's reads lag its writes (RUNPOD.md): a pod may be missing from GET/list for a
# while after create, and report a stale EXITED just after a start or update.
APPEAR_GRACE = 60.0
STALE_EXITED_GRACE = 30.0
FIRST_POLL = 1.0  # look soon after the request, then back off to `poll`
UPTIME_SLACK = 5.0  # seconds of clock difference between us and RunPod we forgive


def _stale(before: ObservedPod | None, now: ObservedPod, elapsed: float) -> bool:
    """Is this RUNNING still the container from before the PATCH?"""
    comparable = before is not None and (
        (before.started_at is not None and now.started_at is not None)
        or (before.uptime is not None and now.uptime is not None))
    if before is not None and comparable:
        return not restarted(before, now)
    # Nothing to compare with: a container up for longer than the request is old.
    return now.uptime is not None and now.uptime > elapsed + UPTIME_SLACK


@dataclass
class _Checks:
    """One pod's readiness verdicts across polls: the health check's pacing and answer."""

    pod_id: str
    health: HealthCheck | None
    proxy_template: str
    expect_ports: bool
    restarts: bool
    before: ObservedPod | None
    secrets: Mapping[str, str]
    session: requests.Session = field(default_factory=requests.Session)
    last_health: float = -1e9
    said: str = "not checked yet"

    def judge(self, pod: ObservedPod, elapsed: float) -> Readiness | str:
        """A final verdict, or what the pod is doing (the progress line)."""
        status, health = pod.status, self.health
        if status == "ERROR":
            return Readiness(False, status, "the pod went to ERROR on RunPod; see "
                                            "gitops-runner logs for its output")
        if status == "TERMINATED" or (status == "EXITED" and elapsed > STALE_EXITED_GRACE):
            return Readiness(False, status, f"the pod is {status} instead of starting")
        if status != "RUNNING":
            return status
        if self.restarts and _stale(self.before, pod, elapsed):
            return "RUNNING (the old container, not restarted yet)"
        if self.expect_ports and not pod.has_runtime_ports:
            return "RUNNING, waiting for port mappings"
        if health is None:
            return Readiness(True, status, "running", pod.cost)
        # RunPod is polled every `poll`; the pod itself every interval_seconds.
        if elapsed - self.last_health >= health.interval_seconds:
            self.last_health = elapsed
            base = proxy_url(self.proxy_template, self.pod_id, health.port)
            ok, self.said = health_ok(self.session, base + health.path)
            if ok and health.served_model is not None:
                ok, self.said = model_listed(self.session, base, health, self.secrets)
            if ok:
                return Readiness(True, status, f"healthy ({self.said})", pod.cost)
        return f"RUNNING, health check {health.path}: {self.said}"


def wait_ready(client: RunPodClient, pod_id: str, health: HealthCheck | None,
               proxy_template: str, expect_ports: bool, started: float,
               progress: Callable[[str], None], poll: float = POLL_SECONDS,
               clock: Clock | None = None,
               cancel: threading.Event | None = None,
               watcher: PodWatcher | None = None,
               restarts: bool = False, before: ObservedPod | None = None,
               secrets: Mapping[str, str] | None = None) -> Readiness:
    """Poll until ready or the timeout (counted from `started`, the request time) passes.

    With a watcher, every waiting pod shares one pod list per round. `restarts`: the
    request restarts the container (a PATCH), so a RUNNING that is still the container
    seen `before` the request (same start time, or an uptime older than the request) is a
    stale read, and not ready yet."""
    timeout = health.timeout_seconds if health else DEFAULT_TIMEOUT
    cancel = cancel or threading.Event()
    clock = clock or SystemClock()

    def look(max_age: float) -> Mapping[str, Any] | None:
        if watcher is not None:
            return watcher.look(pod_id, max_age)
        try:
            return client.get_pod(pod_id)
        except NotFoundError:
            return None

    checks = _Checks(pod_id, health, proxy_template, expect_ports, restarts, before,
                     secrets or {}, http_session(proxy_template))
    last, last_print, status = "", -1e9, "UNKNOWN"
    step = min(FIRST_POLL, poll)
    while True:
        elapsed = clock.monotonic() - started
        try:
            raw = look(step * 0.9)
        except TransientError as exc:
            raw, detail = None, str(exc)
        else:
            if raw is None and elapsed > APPEAR_GRACE:
                return Readiness(False, "GONE", f"pod {pod_id} disappeared while starting")
            detail = "not visible on RunPod yet"
        if raw is not None:
            pod = parse_pod(raw)
            status = pod.status
            verdict = checks.judge(pod, elapsed)
            if isinstance(verdict, Readiness):
                return verdict
            detail = verdict
        # Every change of phase, and a heartbeat while it lasts (WaitProgress keeps
        # heartbeats for terminals only).
        if detail != last or elapsed - last_print >= HEARTBEAT_SECONDS:
            progress(progress_text(detail, elapsed))
            last, last_print = detail, elapsed
        if elapsed >= timeout:
            return Readiness(False, status, f"not ready after {timeout}s: {detail}")
        wait = min(step, health.interval_seconds) if health else step
        if clock.sleep(max(0.05, min(wait, timeout - elapsed)), cancel):
            return Readiness(False, status, "interrupted while waiting")
        step = min(poll, step * 2)
