"""Build stacks, observed pods and states for plan tests from real-looking YAML."""

from __future__ import annotations

import textwrap
from typing import Any

from gitops_runner.config import parse_stack
from gitops_runner.config.model import Stack
from gitops_runner.plan.desired import DesiredPod, create_body
from gitops_runner.runpod.simulator import catalog

CATALOG = catalog.gpu_types()


def stack_from_yaml(pods: str, extra: str = "", project: str = "demo",
                    environment: str = "prod") -> Stack:
    text = (f"version: 1\nproject: {{name: {project}, environment: {environment}}}\n"
            + textwrap.dedent(extra) + textwrap.dedent(pods))
    stack, problems = parse_stack("deploy/test.yaml", text.encode())
    assert not problems, [str(p) for p in problems]
    assert stack is not None
    return stack


def observed_from(want: DesiredPod, secrets: dict[str, str], pod_id: str = "pod1",
                  gpu: str | None = None, status: str = "RUNNING", dc: str = "EU-RO-1",
                  created: str = "2026-11-27T10:00:00Z", **changes: Any) -> dict[str, Any]:
    """The pod RunPod would return after creating `want`."""
    body = create_body(want, gpu or want.candidates[0], secrets)
    raw: dict[str, Any] = {
        "id": pod_id, "name": body["name"], "status": status, "image": body["image"],
        "args": body.get("args", ""), "env": body["env"], "ports": body["ports"],
        "disk": body["disk"], "mounts": body.get("mounts", {}), "registry": body.get("registry"),
        "gpu": {"id": body["gpu"]["id"], "count": body["gpu"]["count"]},
        "cloud": body["cloud"], "dataCenterId": dc, "cudaVersion": "12.8",
        "cost": round((catalog.price(body["gpu"]["id"], body["cloud"]) or 0) *
                      body["gpu"]["count"], 4) if status != "EXITED" else 0.0,
        "createdAt": created,
        "runtime": {"ports": [{"private": 8000, "public": 1234}]} if status == "RUNNING"
        else None,
    }
    raw.update(changes)
    return raw
