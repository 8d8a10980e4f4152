"""status: the stack's pods with status, GPU, cost, endpoints and health."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from gitops_runner.config.model import Stack
from gitops_runner.engine.readiness import health_ok, proxy_url
from gitops_runner.plan.build import ownership_of
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.observed import declared_runtime_ports
from gitops_runner.plan.statefile import StateDoc


def endpoints(raw: Mapping[str, Any], template: str) -> list[str]:
    out = []
    for port in declared_runtime_ports(raw):  # not RunPod's own platform port
        if port.get("type") == "http":
            out.append(proxy_url(template, str(raw.get("id")), int(port.get("private", 0))))
        elif port.get("public"):
            out.append(f"{port.get('ip')}:{port.get('public')} (tcp {port.get('private')})")
    return out


def status_rows(stack: Stack, state: StateDoc, observed: list[dict[str, Any]],
                template: str) -> list[dict[str, Any]]:
    desired = {d.logical: d for d in desired_pods(stack)}
    ownership = ownership_of(stack, list(desired.values()), observed, state)
    raw_by_id = {str(p.get("id")): p for p in observed}
    session = requests.Session()
    rows: list[dict[str, Any]] = []
    names = sorted(set(desired) | set(state.pods) | set(ownership.ours))
    for name in names:
        pods = ownership.ours.get(name, [])
        record = state.pods.get(name)
        if not pods:
            rows.append({"pod": name, "id": record.id if record else None,
                         "status": "MISSING" if record else "NOT CREATED", "gpu": None,
                         "cost_per_hour": 0.0, "endpoints": [], "health": "-"})
            continue
        for pod in pods:
            want = desired.get(name)
            health = "-"
            check = want.spec.health_check if want and want.spec else None
            if check is not None and pod.status == "RUNNING":
                ok, said = health_ok(session, proxy_url(template, pod.id, check.port) + check.path)
                health = "healthy" if ok else f"unhealthy ({said})"
            rows.append({"pod": name, "id": pod.id, "status": pod.status,
                         "gpu": f"{pod.gpu_id} x{pod.gpu_count}", "cost_per_hour": pod.cost,
                         "endpoints": endpoints(raw_by_id.get(pod.id, {}), template),
                         "health": health})
    return rows
