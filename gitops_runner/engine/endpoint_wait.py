"""Reading an endpoint's workers and rollout, and waiting for a release to roll out.

RunPod reports no "failed" state on a release (Release, runpod-openapi-v2.json): a
release has failed when its workers (the ones whose `version` is the endpoint's
current one) stay UNHEALTHY while the old ones, still serving, keep the rollout
`inProgress`. So the wait ends in one of three ways: every worker on the latest
version and ready; a latest-version worker unhealthy past a grace; or the timeout.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.engine.clock import Clock
from gitops_runner.runpod.serverless import ServerlessApi

ROLLOUT_TIMEOUT_SECONDS = 1800.0  # model servers pull tens of GB before their first request
UNHEALTHY_GRACE_SECONDS = 30.0  # a worker may fail one health check while it warms up
READY = ("IDLE", "RUNNING")


@dataclass(frozen=True)
class EndpointHealth:
    """Workers by state and the rollout of the current release."""

    version: int | None
    workers: dict[str, int] = field(default_factory=dict)  # idle, running, ... total
    in_progress: bool = False
    on_latest: int = 0
    total: int = 0
    unhealthy_latest: int = 0
    ready_latest: int = 0
    image_latest: str | None = None
    serving_versions: tuple[int, ...] = ()
    unhealthy_worker: str | None = None  # one, for the logs hint

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "workers": dict(self.workers),
                "rollout": {"in_progress": self.in_progress, "workers_on_latest":
                            self.on_latest, "workers_total": self.total}}


def read_health(api: ServerlessApi, endpoint_id: str) -> EndpointHealth:
    listed = api.workers(endpoint_id)
    releases = api.releases(endpoint_id)
    version = releases.get("endpointVersion", listed.get("endpointVersion"))
    workers = [w for w in listed.get("workers", []) if isinstance(w, dict)]
    latest = [w for w in workers if w.get("version") == version]
    rollout = releases.get("rollout") or {}
    summary = listed.get("summary") or {}
    return EndpointHealth(
        version=version, workers={k: int(v) for k, v in summary.items()},
        in_progress=bool(rollout.get("inProgress")), on_latest=len(latest),
        total=len(workers),
        unhealthy_latest=sum(1 for w in latest if w.get("status") == "UNHEALTHY"),
        ready_latest=sum(1 for w in latest if w.get("status") in READY),
        image_latest=next((w.get("image") for w in latest if w.get("image")), None),
        serving_versions=tuple(sorted({int(w["version"]) for w in workers
                                       if w.get("status") in READY
                                       and isinstance(w.get("version"), int)})),
        unhealthy_worker=next((str(w.get("id")) for w in latest
                               if w.get("status") == "UNHEALTHY"), None))


@dataclass(frozen=True)
class RolloutResult:
    ok: bool
    detail: str
    version: int | None = None


def wait_rollout(api: ServerlessApi, endpoint_id: str, min_workers: int, clock: Clock,
                 poll_seconds: float, cancel: threading.Event,
                 timeout: float = ROLLOUT_TIMEOUT_SECONDS) -> RolloutResult:
    """Until the current release serves on `min_workers` workers; at min 0 nothing waits
    (no worker runs until a request comes, CONTRACT §14)."""
    if min_workers <= 0:
        return RolloutResult(True, "no worker to roll (workers.min is 0)")
    started = clock.monotonic()
    unhealthy_since: float | None = None
    while True:
        health = read_health(api, endpoint_id)
        now = clock.monotonic()
        if health.unhealthy_latest:
            unhealthy_since = now if unhealthy_since is None else unhealthy_since
            if now - unhealthy_since >= UNHEALTHY_GRACE_SECONDS:
                old = [v for v in health.serving_versions if v != health.version]
                keeps = (f"; release v{old[-1]} keeps serving" if old else
                         "; no earlier release is serving")
                logs = (f" (its log: GET /v2/serverless/{endpoint_id}/workers/"
                        f"{health.unhealthy_worker}/logs)" if health.unhealthy_worker else "")
                return RolloutResult(False, f"release v{health.version} failed: "
                                     f"{health.unhealthy_latest} worker(s) unhealthy on "
                                     f"{health.image_latest}{keeps}{logs}", health.version)
        else:
            unhealthy_since = None
        if not health.in_progress and health.ready_latest >= min_workers:
            return RolloutResult(True, f"release v{health.version} serving on "
                                 f"{health.ready_latest} worker(s)", health.version)
        if now - started >= timeout:
            return RolloutResult(False, f"release v{health.version} did not roll out within "
                                 f"{int(timeout)} s ({health.ready_latest} of {min_workers} "
                                 f"worker(s) ready, {health.workers.get('throttled', 0)} "
                                 "throttled)", health.version)
        # Waiting out an unhealthy worker's grace, a tenth of it between looks is enough
        # (RunPod's own poll is already longer; the sandbox's would look hundreds of times).
        pause = poll_seconds if unhealthy_since is None else max(
            poll_seconds, UNHEALTHY_GRACE_SECONDS / 10)
        if clock.sleep(pause, cancel):
            return RolloutResult(False, "interrupted while waiting for the rollout",
                                 health.version)
