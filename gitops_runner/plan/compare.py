"""Field-by-field comparison of one observed pod with its desired spec.

Returns what PATCH can fix in place and what needs a new pod, each as FieldChange
values (field, before, after). Secret values never appear.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.plan.changes import SENSITIVE, FieldChange
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.identity import (
    MARKER_LINEAGE,
    MARKER_PREFIX,
    MARKER_SPEC,
    is_platform_env,
)
from gitops_runner.plan.observed import ObservedPod

__all__ = ["SENSITIVE", "Differences", "compare", "mounts_unknown", "spec_changes"]


@dataclass
class Differences:
    patch: list[str] = field(default_factory=list)  # body fields to PATCH
    update: list[FieldChange] = field(default_factory=list)  # fixable in place
    replace: list[FieldChange] = field(default_factory=list)  # needing a new pod
    errors: list[str] = field(default_factory=list)  # changes RunPod cannot make at all

    def _fix(self, name: str, before: Any, after: Any, patch: str | None = None) -> None:
        self.patch.append(patch or name)
        self.update.append(FieldChange(name, before, after))


def _mount_kind(mounts: Mapping[str, Any] | None) -> str:
    if mounts and mounts.get("persistent"):
        return "persistent"
    if mounts and mounts.get("network"):
        return "network"
    return "none"


# The deploy file's words for a mount kind (`volume` is RunPod's persistent pod volume).
STORAGE_WORDS = {"persistent": "pod volume", "network": "network volume", "none": "no volume"}


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def compare(obs: ObservedPod, want: DesiredPod, secrets: Mapping[str, str],
            was_plain: set[str], applied_env: set[str] | None = None,
            applied_mounts: Mapping[str, Any] | None = None) -> Differences:
    """`was_plain`: env keys state says were applied as plain values; any other
    observed env value is shown as (sensitive) (CONTRACT §4). `applied_env`: env keys
    gitops-runner applied to this pod (from state), if known. `applied_mounts`: the
    mounts state says the pod was created with, if known."""
    d = Differences()
    body = want.public_body
    # A field RunPod did not tell us about is unknown, not different (CONTRACT §4).
    for key in ("name", "image", "args"):
        old = getattr(obs, key)
        if key not in obs.unknown and old != body.get(key):
            d._fix(key, old, body.get(key))
    if "disk" not in obs.unknown and obs.disk != body.get("disk"):
        d._fix("disk_gb", obs.disk, body.get("disk"), patch="disk")
    if "ports" not in obs.unknown and sorted(obs.ports) != sorted(body["ports"]):
        d._fix("ports", sorted(obs.ports), sorted(body["ports"]))
    if "registry" not in obs.unknown and (obs.registry or None) != body.get("registry"):
        d._fix("registry", obs.registry, body.get("registry"))
    env_changes = _env_changes(obs, want, secrets, was_plain, applied_env)
    if env_changes:
        d.patch.append("env")
        d.update.extend(env_changes)
    _compare_placement(obs, want, d)
    if "mounts" not in obs.unknown and not mounts_unknown(obs.mounts, applied_mounts):
        _compare_mounts(obs, body.get("mounts") or {}, d, want.volume_ids)
    return d


def injected(key: str, desired: Mapping[str, Any], applied_env: set[str] | None) -> bool:
    """An env key RunPod added (PUBLIC_KEY, JUPYTER_PASSWORD, RUNPOD_*), not one we set."""
    return (key not in desired and not key.startswith(MARKER_PREFIX) and is_platform_env(key)
            and (applied_env is None or key not in applied_env))


def _env_changes(obs: ObservedPod, want: DesiredPod, secrets: Mapping[str, str],
                 was_plain: set[str], applied_env: set[str] | None) -> list[FieldChange]:
    out = []
    desired = want.public_body["env"]
    current = {k: v for k, v in obs.env.items()
               if k not in (MARKER_SPEC, MARKER_LINEAGE) and not injected(k, desired, applied_env)}
    for key in sorted(set(current) | set(desired)):
        name = f"env.{key}"
        shown = current.get(key) if key in was_plain else SENSITIVE
        if key not in desired:
            out.append(FieldChange(name, shown, None, sensitive=key not in was_plain))
            continue
        value = desired[key]
        if isinstance(value, dict):
            if key not in current:
                out.append(FieldChange(name, None, SENSITIVE, sensitive=True))
            elif value["secret"] in secrets and current[key] != secrets[value["secret"]]:
                # Without the value (a plan job holds no deploy secret, CONTRACT §8)
                # nothing is known to differ: no change, rather than a guess.
                out.append(FieldChange(name, SENSITIVE, SENSITIVE, sensitive=True))
        elif key not in current:
            out.append(FieldChange(name, None, value))
        elif current[key] != value:
            out.append(FieldChange(name, shown, value, sensitive=key not in was_plain))
    return out


def _compare_placement(obs: ObservedPod, want: DesiredPod, d: Differences) -> None:
    body = want.public_body
    if "gpu.count" not in obs.unknown and obs.gpu_count != body["gpu"]["count"]:
        d.replace.append(FieldChange("gpu.count", obs.gpu_count, body["gpu"]["count"], True))
    if "gpu" not in obs.unknown and obs.gpu_id not in want.candidates:
        d.replace.append(FieldChange("gpu", obs.gpu_id, list(want.candidates), True))
    if "cloud" not in obs.unknown and obs.cloud != body["cloud"]:
        d.replace.append(FieldChange("cloud_type", obs.cloud, body["cloud"], True))
    dcs = body.get("dataCenterIds") or []
    if dcs and obs.data_center and obs.data_center not in dcs:
        d.replace.append(FieldChange("data_centers", obs.data_center, list(dcs), True))
    floor = body["gpu"].get("minCudaVersion")
    if floor and obs.cuda_version and _version(obs.cuda_version) < _version(floor):
        d.replace.append(FieldChange("gpu.min_cuda_version", obs.cuda_version, floor, True))


def int_or_none(value: Any) -> int | None:
    """A size as RunPod may send it (20, 20.0, "20"); None when it cannot be read."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


def mounts_unknown(mounts: Mapping[str, Any] | None,
                   applied: Mapping[str, Any] | None = None) -> bool:
    """Mounts that cannot be right are unknown, never "no volume" (CONTRACT §4: missing
    data never causes a replace, which would destroy the pod's volume): an entry sent as
    null or in a shape we cannot read, a network mount without its volume id, and no
    mount (or one without its size) on a pod that state says was created with one, since
    RunPod cannot remove a mount."""
    if not isinstance(mounts, Mapping):
        return mounts is not None
    if any(key in mounts and not mounts[key] for key in ("persistent", "network")):
        return True
    network = mounts.get("network")
    if network is not None and (not isinstance(network, list) or not all(
            isinstance(e, Mapping) and e.get("volumeId") for e in network)):
        return True
    persistent = mounts.get("persistent")
    if persistent is not None and not isinstance(persistent, Mapping):
        return True
    applied = applied or {}
    if applied.get("persistent") and (
            persistent is None or int_or_none(persistent.get("size")) is None):
        return True
    return bool(applied.get("network")) and network is None


def _compare_mounts(obs: ObservedPod, want: Mapping[str, Any], d: Differences,
                    volume_ids: tuple[str, ...] = ()) -> None:
    old_kind, new_kind = _mount_kind(obs.mounts), _mount_kind(want)
    if old_kind != new_kind:
        d.replace.append(FieldChange("storage", STORAGE_WORDS[old_kind],
                                     STORAGE_WORDS[new_kind], True))
        return
    if new_kind == "persistent":
        old, new = obs.mounts["persistent"], want["persistent"]
        size = int_or_none(old.get("size"))
        if size is not None and size < new["size"]:
            # RunPod grows a pod volume in place (a PATCH with the whole mount; restart).
            d._fix("volume.size_gb", size, new["size"], patch="mounts")
        elif size is not None and size > new["size"]:
            d.errors.append(
                f"volume.size_gb: {size} -> {new['size']}: a pod volume cannot shrink. For "
                "a smaller volume, declare a new pod entry (removing this one destroys its "
                "volume, under allow_delete and allow_data_loss)")
        if old.get("path") != new["path"]:
            d._fix("volume.path", old.get("path"), new["path"], patch="mounts")
    elif new_kind == "network":
        entries = obs.mounts["network"]
        if not isinstance(entries, list) or not isinstance(entries[0], dict):
            return
        old, new = entries[0], want["network"][0]
        if "volume" in new:
            # A volume of the stack (CONTRACT §14): any of its copies will do; with no
            # copy known yet, the id is unknown, never a difference.
            if volume_ids and old.get("volumeId") not in volume_ids:
                d.replace.append(FieldChange("network_volume", old.get("volumeId"),
                                             new["volume"], True))
            elif old.get("path") != new["path"]:
                d._fix("network_volume.path", old.get("path"), new["path"], patch="mounts")
        elif old.get("volumeId") != new["volumeId"]:
            d.replace.append(FieldChange("network_volume.id", old.get("volumeId"),
                                         new["volumeId"], True))
        elif old.get("path") != new["path"]:
            d._fix("network_volume.path", old.get("path"), new["path"], patch="mounts")


def spec_changes(old: Mapping[str, Any], new: Mapping[str, Any],
                 prefix: str = "") -> list[FieldChange]:
    """Differences between two public specs (as stored in state: secret references by
    name, never a value)."""
    out = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict) and key != "env":
            out.extend(spec_changes(a, b, path + "."))
        else:
            out.append(FieldChange(path, a, b))
    return out
