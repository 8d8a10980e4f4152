"""Field-by-field comparison of one observed pod with its desired spec.

Returns what PATCH can fix in place and what needs a new pod, each as reasons
that name the field and its old -> new values. Secret values never appear.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.identity import (
    MARKER_LINEAGE,
    MARKER_PREFIX,
    MARKER_SPEC,
    is_platform_env,
)
from gitops_runner.plan.observed import ObservedPod

SENSITIVE = "(sensitive)"


@dataclass
class Differences:
    patch: list[str] = field(default_factory=list)  # body fields to PATCH
    update: list[str] = field(default_factory=list)  # reasons fixable in place
    replace: list[str] = field(default_factory=list)  # reasons needing a new pod


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _mount_kind(mounts: Mapping[str, Any] | None) -> str:
    if mounts and mounts.get("persistent"):
        return "persistent"
    if mounts and mounts.get("network"):
        return "network"
    return "none"


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def compare(obs: ObservedPod, want: DesiredPod, secrets: Mapping[str, str],
            was_plain: set[str], applied_env: set[str] | None = None) -> Differences:
    """`was_plain`: env keys state says were applied as plain values; any other
    observed env value is shown as (sensitive) (CONTRACT §4). `applied_env`: env keys
    gitops-runner applied to this pod (from state), if known."""
    d = Differences()
    body = want.public_body
    # A field RunPod did not tell us about is unknown, not different (CONTRACT §4).
    for key in ("name", "image", "args", "disk"):
        old = getattr(obs, key)
        if key not in obs.unknown and old != body.get(key):
            d.patch.append(key)
            d.update.append(f"{key}: {_show(old)} -> {_show(body.get(key))}")
    if "ports" not in obs.unknown and sorted(obs.ports) != sorted(body["ports"]):
        d.patch.append("ports")
        d.update.append(f"ports: {_show(sorted(obs.ports))} -> {_show(sorted(body['ports']))}")
    if "registry" not in obs.unknown and (obs.registry or None) != body.get("registry"):
        d.patch.append("registry")
        d.update.append(f"registry: {_show(obs.registry)} -> {_show(body.get('registry'))}")
    env_reasons = _env_reasons(obs, want, secrets, was_plain, applied_env)
    if env_reasons:
        d.patch.append("env")
        d.update.extend(env_reasons)
    _compare_placement(obs, want, d)
    if "mounts" not in obs.unknown:
        _compare_mounts(obs, body.get("mounts") or {}, d)
    return d


def injected(key: str, desired: Mapping[str, Any], applied_env: set[str] | None) -> bool:
    """An env key RunPod added (PUBLIC_KEY, JUPYTER_PASSWORD, RUNPOD_*), not one we set."""
    return (key not in desired and not key.startswith(MARKER_PREFIX) and is_platform_env(key)
            and (applied_env is None or key not in applied_env))


def _env_reasons(obs: ObservedPod, want: DesiredPod, secrets: Mapping[str, str],
                 was_plain: set[str], applied_env: set[str] | None) -> list[str]:
    reasons = []
    desired = want.public_body["env"]
    current = {k: v for k, v in obs.env.items()
               if k not in (MARKER_SPEC, MARKER_LINEAGE) and not injected(k, desired, applied_env)}
    for key in sorted(set(current) | set(desired)):
        if key not in desired:
            reasons.append(f"env.{key}: removed")
            continue
        value = desired[key]
        if isinstance(value, dict):
            if key not in current:
                reasons.append(f"env.{key}: added {SENSITIVE}")
            elif value["secret"] in secrets and current[key] != secrets[value["secret"]]:
                # Without the value (a plan job holds no deploy secret, CONTRACT §8)
                # nothing is known to differ: no change, rather than a guess.
                reasons.append(f"env.{key}: (sensitive value changed)")
        elif key not in current:
            reasons.append(f"env.{key}: added {_show(value)}")
        elif current[key] != value:
            old = _show(current[key]) if key in was_plain else SENSITIVE
            reasons.append(f"env.{key}: {old} -> {_show(value)}")
    return reasons


def _compare_placement(obs: ObservedPod, want: DesiredPod, d: Differences) -> None:
    body = want.public_body
    if "gpu.count" not in obs.unknown and obs.gpu_count != body["gpu"]["count"]:
        d.replace.append(f"gpu.count: {obs.gpu_count} -> {body['gpu']['count']}")
    if "gpu" not in obs.unknown and obs.gpu_id not in want.candidates:
        d.replace.append(f"gpu: {_show(obs.gpu_id)} -> {_show(want.candidates[0])}"
                         + (f" (or fallback {_show(list(want.candidates[1:]))})"
                            if len(want.candidates) > 1 else ""))
    if "cloud" not in obs.unknown and obs.cloud != body["cloud"]:
        d.replace.append(f"cloud_type: {obs.cloud} -> {body['cloud']}")
    dcs = body.get("dataCenterIds") or []
    if dcs and obs.data_center and obs.data_center not in dcs:
        d.replace.append(f"data_centers: pod is in {obs.data_center}, allowed now "
                         f"{_show(dcs)}")
    floor = body["gpu"].get("minCudaVersion")
    if floor and obs.cuda_version and _version(obs.cuda_version) < _version(floor):
        d.replace.append(f"gpu.min_cuda_version: host has CUDA {obs.cuda_version}, "
                         f"below {floor}")


def _int_or_none(value: Any) -> int | None:
    """A size as RunPod may send it (20, 20.0, "20"); None when it cannot be read."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


def _mounts_unknown(mounts: Mapping[str, Any] | None) -> bool:
    """A mount entry RunPod sent as null or in a shape we cannot read: unknown, not
    "no volume" (CONTRACT §4: missing data never causes a replace, which would destroy
    the pod's volume)."""
    if not isinstance(mounts, Mapping):
        return mounts is not None
    if any(key in mounts and not mounts[key] for key in ("persistent", "network")):
        return True
    # A network mount is its volume: one without its volumeId cannot be right (RUNPOD.md
    # §1.2 requires it), so it says nothing about which volume the pod has.
    network = mounts.get("network")
    return isinstance(network, list) and any(
        not isinstance(entry, Mapping) or not entry.get("volumeId") for entry in network)


def doubt_mounts(obs: ObservedPod, applied: Mapping[str, Any] | None) -> ObservedPod:
    """`obs` with its mounts unknown when they cannot be right: no mount at all on a pod
    that state says was created with one (`applied`: the create body state recorded).
    RunPod cannot remove a mount (RUNPOD.md §1.3), so `mounts: {}` is a misread, never a
    reason to replace the pod and destroy its volume (CONTRACT §4)."""
    if applied and applied.get("mounts") and not obs.mounts:
        return replace(obs, unknown=obs.unknown | {"mounts"})
    return obs


def _compare_mounts(obs: ObservedPod, want: Mapping[str, Any], d: Differences) -> None:
    if "mounts" in obs.unknown or _mounts_unknown(obs.mounts):
        return
    old_kind, new_kind = _mount_kind(obs.mounts), _mount_kind(want)
    if old_kind != new_kind:
        d.replace.append(f"storage: {old_kind} volume -> {new_kind} volume")
        return
    if new_kind == "persistent":
        old, new = obs.mounts["persistent"], want["persistent"]
        if not isinstance(old, dict):
            return  # a shape we cannot read is unknown, never a reason to replace
        size = _int_or_none(old.get("size"))
        if size is not None and size != new["size"]:
            d.replace.append(f"volume.size_gb: {size} -> {new['size']}")
        if old.get("path") != new["path"]:
            d.patch.append("mounts")
            d.update.append(f"volume.path: {_show(old.get('path'))} -> {_show(new['path'])}")
    elif new_kind == "network":
        entries = obs.mounts["network"]
        if not isinstance(entries, list) or not isinstance(entries[0], dict):
            return
        old, new = entries[0], want["network"][0]
        if old.get("volumeId") != new["volumeId"]:
            d.replace.append(f"network_volume.id: {_show(old.get('volumeId'))} -> "
                             f"{_show(new['volumeId'])}")
        elif old.get("path") != new["path"]:
            d.patch.append("mounts")
            d.update.append(f"network_volume.path: {_show(old.get('path'))} -> "
                            f"{_show(new['path'])}")


def spec_changes(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Differences between two public specs (as stored in state), env values hidden."""
    out = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict) and key != "env":
            out.extend(spec_changes(a, b, path + "."))
        elif key == "env":
            out.append("env: changed")
        else:
            out.append(f"{path}: {_show(a)} -> {_show(b)}")
    return out
