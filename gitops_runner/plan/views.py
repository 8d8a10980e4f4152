"""The before/after views shown in plans: public fields only, secret values hidden."""

from __future__ import annotations

from typing import Any

from gitops_runner.plan.compare import SENSITIVE
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.identity import MARKER_PREFIX, is_platform_env
from gitops_runner.plan.observed import ObservedPod
from gitops_runner.plan.records import declared
from gitops_runner.plan.statefile import PodRecord


def before_view(obs: ObservedPod, want: DesiredPod | None,
                record: PodRecord | None = None) -> dict[str, Any]:
    # Show an observed value only when state says it was applied as a plain value (or
    # it is our own marker). What the file says now proves nothing: a pull request
    # can turn a secret into a plain value to have the old one shown.
    applied = record.spec.get("env", {}) if record is not None else {}
    plain = {k for k, v in applied.items() if not isinstance(v, dict)}
    env = {}
    declared_keys = set(applied) | set(want.public_body["env"] if want is not None else ())
    for key, value in sorted(obs.env.items()):
        if is_platform_env(key) and key not in declared_keys:
            # Added by RunPod (PUBLIC_KEY, RUNPOD_*): ignored by plan (CONTRACT §4), and
            # never in the reviewed view, or the fingerprint would move with RunPod's set.
            continue
        env[key] = value if key in plain or key.startswith(MARKER_PREFIX) else SENSITIVE
    return {
        "id": obs.id, "name": obs.name, "status": obs.status, "image": obs.image,
        "args": obs.args, "gpu": obs.gpu_id, "gpu_count": obs.gpu_count, "cloud": obs.cloud,
        "data_center": obs.data_center, "ports": sorted(obs.ports), "disk": obs.disk,
        "mounts": dict(obs.mounts), "env": env, "cost_per_hour": obs.cost,
    }


def after_view(want: DesiredPod, gpu: str, cost: float | None) -> dict[str, Any]:
    body = want.public_body
    # A secret's value is never shown, but its name is: which secret a pod gets is part
    # of what a reviewer approves (and of the plan's fingerprint).
    env = {k: (f"(secret {v['secret']})" if isinstance(v, dict) else v)
           for k, v in sorted(body["env"].items())}
    return {
        "name": body["name"], "image": body["image"], "args": body["args"], "gpu": gpu,
        "registry": body.get("registry"), "min_cuda_version": body["gpu"].get("minCudaVersion"),
        "gpu_candidates": list(want.candidates), "gpu_count": body["gpu"]["count"],
        "cloud": body["cloud"], "data_centers": list(body.get("dataCenterIds", [])),
        "ports": sorted(body["ports"]), "disk": body["disk"], "mounts": body.get("mounts", {}),
        "env": env, "cost_per_hour": cost,
        # What the tool does with the pod beyond RunPod (windows, idle stop, health check,
        # status, rollout): reviewed with a create as with an update (CONTRACT §4).
        **({"declared": declared(want.spec)} if want.spec is not None else {}),
    }
