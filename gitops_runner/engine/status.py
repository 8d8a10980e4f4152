"""status: the stack's pods with status, GPU, cost, endpoints, health, and for a pod with a
schedule or idle stop, its window now, the next change and since when it has been idle
(CONTRACT §11)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gitops_runner.config.model import PodSpec, Stack
from gitops_runner.engine.endpoint_wait import read_health
from gitops_runner.engine.endpoints import observe_serverless
from gitops_runner.engine.readiness import health_ok, proxy_url
from gitops_runner.http_session import http_session
from gitops_runner.plan.build import ownership_of
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.endpoint_plan import needs_serverless
from gitops_runner.plan.endpoints import desired_endpoints, owned
from gitops_runner.plan.observed import declared_runtime_ports
from gitops_runner.plan.schedule import idle_since
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.serverless import ServerlessApi


def endpoints(raw: Mapping[str, Any], template: str) -> list[str]:
    out = []
    for port in declared_runtime_ports(raw):  # not RunPod's own platform port
        if port.get("type") == "http":
            out.append(proxy_url(template, str(raw.get("id")), int(port.get("private", 0))))
        elif port.get("public"):
            out.append(f"{port.get('ip')}:{port.get('public')} (tcp {port.get('private')})")
    return out


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lifecycle(spec: PodSpec | None, record: PodRecord | None, now: datetime) -> dict[str, Any]:
    """The schedule's view of a pod: its window now and the next change (local time with
    its offset, and UTC), since when it has been idle (from the recorded samples) and when
    idle stop stopped it. Nulls when not scheduled."""
    schedule = spec.schedule if spec is not None and spec.status != "stopped" else None
    window: dict[str, Any] | None = None
    if schedule is not None:
        is_open = schedule.is_open(now)
        change = schedule.next_change(now)
        window = {
            "windows": list(schedule.running), "timezone": schedule.timezone,
            "state": "open" if is_open else "closed",
            "next_change": None if change is None else {
                "action": "stop" if is_open else "start",
                "at": change.isoformat(timespec="minutes"), "at_utc": _utc(change)}}
    return {"schedule": window,
            "declared_stopped": spec is not None and spec.status == "stopped",
            "idle_since": idle_since(record, spec.idle_stop if spec is not None else None),
            "idle_stopped": record.idle_stopped if record else None}


def status_rows(stack: Stack, state: StateDoc, observed: list[dict[str, Any]],
                template: str, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    desired = {d.logical: d for d in desired_pods(stack)}
    ownership = ownership_of(stack, list(desired.values()), observed, state)
    raw_by_id = {str(p.get("id")): p for p in observed}
    session = http_session(template)
    rows: list[dict[str, Any]] = []
    names = sorted(set(desired) | set(state.pods) | set(ownership.ours))
    for name in names:
        pods = ownership.ours.get(name, [])
        record = state.pods.get(name)
        want = desired.get(name)
        life = lifecycle(want.spec if want else None, record, now)
        if not pods:
            rows.append({"pod": name, "id": record.id if record else None,
                         "status": "MISSING" if record else "NOT CREATED", "gpu": None,
                         "gpu_count": None, "cost_per_hour": 0.0, "endpoints": [],
                         "health": "-", **life})
            continue
        for pod in pods:
            health = "-"
            check = want.spec.health_check if want and want.spec else None
            if check is not None and pod.status == "RUNNING":
                ok, said = health_ok(session, proxy_url(template, pod.id, check.port) + check.path)
                health = "healthy" if ok else f"unhealthy ({said})"
            # GPU spelled as state spells it (state list): the type id, and a count.
            rows.append({"pod": name, "id": pod.id, "status": pod.status,
                         "gpu": pod.gpu_id, "gpu_count": pod.gpu_count,
                         "cost_per_hour": pod.cost,
                         "endpoints": endpoints(raw_by_id.get(pod.id, {}), template),
                         "health": health, **life})
    return rows


def endpoint_rows(stack: Stack, state: StateDoc,
                  client: RunPodClient) -> list[dict[str, Any]]:
    """Each endpoint with its workers by state and its rollout (CONTRACT §14)."""
    if not needs_serverless(stack, state):
        return []
    view = observe_serverless(client)
    recorded = {r.id: n for n, r in state.endpoints.items() if r.id}
    ours = owned(view, stack.name, state.lineage,
                 {d.runpod_name: d.name for d in desired_endpoints(stack, state.lineage)},
                 recorded).endpoints
    api = ServerlessApi(client)
    rows: list[dict[str, Any]] = []
    for name in sorted({e.name for e in stack.endpoints} | set(state.endpoints) | set(ours)):
        found, record = ours.get(name), state.endpoints.get(name)
        if found is None:
            rows.append({"endpoint": name, "id": record.id if record else None,
                         "status": "MISSING" if record and record.id else "NOT CREATED",
                         "version": None, "workers": {}, "rollout": None, "urls": {}})
            continue
        health = read_health(api, found.id)
        failing = health.unhealthy_latest > 0
        status = ("RELEASE FAILED" if failing else
                  "ROLLING OUT" if health.in_progress else "READY")
        urls = found.body.get("requestUrls")
        rows.append({"endpoint": name, "id": found.id, "status": status, **health.to_json(),
                     "urls": dict(urls) if isinstance(urls, dict) else {}})
    return rows
