"""Desired pods: what the deploy file asks RunPod for, one entry per replica.

Secret values never live here. A `{secret: NAME}` env value stays a reference
(and enters the spec hash as its name); `create_body` fills values in only at
the moment a request is sent.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_runner.config.model import PodSpec, SecretRef, Stack, StackVolume
from gitops_runner.config.naming import logical_names, runpod_name
from gitops_runner.plan.identity import (
    MARKER_LINEAGE,
    MARKER_SPEC,
    is_platform_env,
    marker_env,
    sha256_of,
)
from gitops_runner.plan.serving import model_args, model_env

SSH_PORT = "22/tcp"


@dataclass(frozen=True)
class DesiredPod:
    logical: str  # "api" or "api-0"
    runpod_name: str
    spec: PodSpec | None  # None for a view rebuilt from state
    candidates: tuple[str, ...]  # GPU ids to try in order
    # The create body without gpu id and with secret references as {"secret": NAME}.
    public_body: Mapping[str, Any]
    spec_hash: str
    # Ids of the network volume a `network_volume: {name}` mounts, one per data center
    # (plan/network_volumes.py fills them in from state; empty = not known yet).
    volume_ids: tuple[str, ...] = ()

    @property
    def secret_env(self) -> dict[str, str]:
        """env key -> secret name (the schedule's recreate needs their values)."""
        return {k: v["secret"] for k, v in self.public_body["env"].items() if isinstance(v, dict)}


def args_string(spec: PodSpec) -> str:
    args = spec.runtime.args
    if isinstance(args, tuple):
        return shlex.join(args)
    if isinstance(args, str):
        return args
    return model_args(spec) or ""


def _public_body(stack: Stack, spec: PodSpec, logical: str) -> dict[str, Any]:
    env: dict[str, Any] = {k: {"secret": v.name} if isinstance(v, SecretRef) else v
                           for k, v in model_env(spec).items()}
    for key, value in spec.runtime.env.items():
        env[key] = {"secret": value.name} if isinstance(value, SecretRef) else value
    env.update(marker_env(stack.name, logical, dict(spec.tags)))
    body: dict[str, Any] = {
        "name": runpod_name(stack.project, stack.environment, logical),
        "image": spec.runtime.image,
        "gpu": {"count": spec.gpu.count},
        "cloud": spec.cloud_type,
        "disk": spec.disk_gb,
        "ports": list(spec.ports),
        "env": env,
        "args": args_string(spec),
    }
    if SSH_PORT in spec.ports:
        # RunPod injects the account's SSH keys (PUBLIC_KEY) only when asked at create
        # time; without it sshd never accepts a login, whatever `ports` exposes.
        body["startSsh"] = True
    if spec.gpu.min_cuda_version:
        body["gpu"]["minCudaVersion"] = spec.gpu.min_cuda_version
    if spec.data_centers:
        body["dataCenterIds"] = list(spec.data_centers)
    named = _named_volume(stack, spec)
    if named is not None:
        # CONTRACT §14: only where the volume is (RunPod pins the pod there, RUNPOD.md §8c).
        body["dataCenterIds"] = [dc for dc in named.data_centers
                                 if not spec.data_centers or dc in spec.data_centers]
    if spec.volume:
        body["mounts"] = {"persistent": {"size": spec.volume.size_gb, "path": spec.volume.path}}
    elif spec.network_volume and named is not None:
        # The id depends on the data center the pod lands in: bound at create
        # (plan/volumes.bind_mount), so the spec hash names the volume, not an id.
        body["mounts"] = {"network": [{"volume": named.name, "path": spec.network_volume.path}]}
    elif spec.network_volume:
        body["mounts"] = {"network": [{"volumeId": spec.network_volume.id,
                                       "path": spec.network_volume.path}]}
    if spec.runtime.registry_auth_id:
        body["registry"] = spec.runtime.registry_auth_id
    return body


def _named_volume(stack: Stack, spec: PodSpec) -> StackVolume | None:
    name = spec.network_volume.name if spec.network_volume else None
    return next((v for v in stack.volumes if v.name == name), None) if name else None


def desired_pods(stack: Stack) -> list[DesiredPod]:
    pods = []
    fallback_allowed = stack.guardrails.allow_gpu_fallback
    for spec in stack.pods:
        candidates = spec.gpu.candidates if fallback_allowed else (spec.gpu.type,)
        for logical in logical_names(spec.name, spec.replicas):
            body = _public_body(stack, spec, logical)
            # The hash covers everything sent plus the GPU candidate list, so a
            # change to the fallback list is a change of spec too.
            spec_hash = sha256_of({**body, "gpu": {**body["gpu"], "candidates": list(candidates)}})
            pods.append(DesiredPod(logical, body["name"], spec, candidates, body, spec_hash))
    return pods


def create_body(pod: DesiredPod, gpu_id: str, secrets: Mapping[str, str],
                lineage: str | None = None) -> dict[str, Any]:
    """The real POST /v2/pods body: secret values filled in, markers complete
    (`lineage`: the state's, CONTRACT §5)."""
    body = dict(pod.public_body)
    body["gpu"] = {"id": gpu_id, **pod.public_body["gpu"]}
    body["env"] = resolved_env(pod, secrets, lineage=lineage)
    if not body["args"]:
        del body["args"]
    return body


def patch_body(pod: DesiredPod, fields: tuple[str, ...], secrets: Mapping[str, str],
               observed_env: Mapping[str, str] | None = None,
               lineage: str | None = None,
               observed_mounts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The PATCH /v2/pods/{id} body for `fields` (body keys). Mounts go whole: RunPod
    grows a pod volume from the full `mounts.persistent` entry."""
    body = create_body(pod, "unused", secrets, lineage)
    patch: dict[str, Any] = {}
    for name in fields:
        if name == "args":
            patch["args"] = pod.public_body["args"]
        elif name == "registry":
            patch["registry"] = pod.public_body.get("registry")
        elif name == "mounts":
            patch["mounts"] = patch_mounts(body["mounts"], observed_mounts)
        elif name in body and name != "env":
            patch[name] = body[name]
    # The spec marker lives in env; any PATCH also refreshes it (and the lineage).
    patch["env"] = resolved_env(pod, secrets, observed_env, lineage)
    return patch


def named_mount(mounts: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The network mount that names a volume of the stack (`{volume, path}`), if any."""
    network = (mounts or {}).get("network") or []
    entry = network[0] if isinstance(network, list) and network else None
    return entry if isinstance(entry, Mapping) and "volume" in entry else None


def patch_mounts(mounts: Mapping[str, Any],
                 observed: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A PATCH of a named mount's path keeps the pod's own volume id (RunPod refuses a
    changed volumeId, RUNPOD.md §1.3)."""
    entry = named_mount(mounts)
    current = ((observed or {}).get("network") or [{}])[0]
    if entry is None or not isinstance(current, Mapping):
        return mounts
    return {"network": [{"volumeId": current.get("volumeId"), "path": entry["path"]}]}


def resolved_env(pod: DesiredPod, secrets: Mapping[str, str],
                 observed: Mapping[str, str] | None = None,
                 lineage: str | None = None) -> dict[str, str]:
    """The env to send. A PATCH replaces the pod's whole env, so keys RunPod injected
    (`observed`: the pod's current env) are carried over, or SSH would stop working."""
    env = {k: v for k, v in (observed or {}).items()
           if is_platform_env(k) and k not in pod.public_body["env"]}
    for key, value in pod.public_body["env"].items():
        env[key] = secrets[value["secret"]] if isinstance(value, dict) else value
    env[MARKER_SPEC] = pod.spec_hash
    if lineage:
        env[MARKER_LINEAGE] = lineage
    return env
