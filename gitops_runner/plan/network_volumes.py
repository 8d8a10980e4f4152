"""Network volumes the stack owns (CONTRACT §14): desired, observed and their diff, as data.

A volume of `volumes` is one RunPod network volume per data center. RunPod volumes carry
no markers (the v2 `NetworkVolume` has only id, name, size, dataCenter, type) and names need
not be unique, so a volume is ours only when state records its id: one with our name that
state does not record is foreign, warned about and never touched. Volumes grow in place
(`PATCH size`) and never shrink (RunPod refuses it); a volume is deleted only when it left
the file and `allow_data_loss` is true. A `moved` entry from a recorded volume to a declared
one renames it in place (`PATCH name`, which UpdateNetworkVolumeRequest allows): same id,
same data, pods keep their mount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.config.naming import volume_name
from gitops_runner.plan import rates
from gitops_runner.plan.changes import Violation
from gitops_runner.plan.desired import DesiredPod, named_mount
from gitops_runner.plan.identity import sha256_of
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.plan.volume_checks import data_center_moved, delete_gates, lost_creates, still_mounted

VOLUME_ACTIONS = ("move", "create", "grow", "delete")
# RunPod bills network volumes "below 1TB $0.07 per GB per month. Above 1TB, the rate drops
# to $0.05" (https://docs.runpod.io/get-started/billing-information; rates.py's sources).
ABOVE_1TB = 0.05
TIER_GB = 1000


def volume_monthly(size_gb: float) -> float:
    """A network volume is billed whether or not a pod runs; the tier applies above 1 TB."""
    first = min(size_gb, TIER_GB)
    return first * rates.NETWORK_VOLUME + max(0.0, size_gb - first) * ABOVE_1TB


@dataclass(frozen=True)
class DesiredVolume:
    volume: str  # `volumes[].name`
    data_center: str
    runpod_name: str
    size_gb: int
    type: str | None


@dataclass(frozen=True)
class ObservedVolume:
    id: str
    name: str
    size_gb: int | None  # None: RunPod did not say (unknown, never a difference)
    data_center: str | None
    type: str | None


@dataclass(frozen=True)
class VolumeAction:
    volume: str
    data_center: str
    action: str  # move | create | grow | delete
    runpod_name: str
    reasons: tuple[str, ...]
    size_before: int | None = None
    size_after: int | None = None
    gone: bool = False  # a delete of a volume RunPod no longer has: state only
    volume_id: str | None = field(default=None, compare=False)  # None for a create
    type: str | None = field(default=None, compare=False)
    # A move (`moved`, CONTRACT §4): the old `volumes[].name` and RunPod name it renames.
    moved_from: str | None = None
    old_runpod_name: str | None = None

    @property
    def destroys(self) -> tuple[dict[str, Any], ...]:
        """The data this action destroys (CONTRACT §4): a deleted volume's, if it exists."""
        if self.action != "delete" or self.gone:
            return ()
        return ({"kind": "network volume", "name": self.runpod_name,
                 "size_gb": self.size_before, "data_center": self.data_center},)

    def to_json(self) -> dict[str, Any]:
        out = {"volume": self.volume, "data_center": self.data_center, "action": self.action,
               "runpod_name": self.runpod_name, "reasons": list(self.reasons),
               "size_gb": {"before": self.size_before, "after": self.size_after},
               "destroys": list(self.destroys)}
        if self.action == "create" and self.type is not None:
            # Fixed at creation: part of what is reviewed (and fingerprinted, CONTRACT §4).
            out["type"] = self.type
        if self.moved_from is not None:
            out["moved_from"] = {"volume": self.moved_from, "runpod_name": self.old_runpod_name}
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> VolumeAction:
        if raw["action"] not in VOLUME_ACTIONS:
            raise ValueError(f"unknown volume action {raw['action']!r}")
        size = raw.get("size_gb") or {}
        moved = raw.get("moved_from") or {}
        return cls(raw["volume"], raw["data_center"], raw["action"], raw["runpod_name"],
                   tuple(raw["reasons"]), size.get("before"), size.get("after"),
                   gone=raw["action"] == "delete" and not raw.get("destroys"),
                   type=raw.get("type"), moved_from=moved.get("volume"),
                   old_runpod_name=moved.get("runpod_name"))


def volumes_fingerprint(actions: Iterable[VolumeAction]) -> list[dict[str, Any]]:
    return [a.to_json() for a in actions]


@dataclass(frozen=True)
class VolumePlan:
    actions: tuple[VolumeAction, ...] = ()
    violations: tuple[str, ...] = ()  # shrink, type change, a volume still mounted
    warnings: tuple[str, ...] = ()  # foreign volumes
    notes: tuple[str, ...] = ()
    monthly_before: float = 0.0
    monthly_after: float = 0.0
    # volume name -> data center -> id, of the volumes that exist: what pods mount.
    ids: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    observed_fingerprint: str = ""
    guardrails: tuple[Violation, ...] = ()  # deletes without allow_delete, allow_data_loss


def desired_volumes(stack: Stack) -> list[DesiredVolume]:
    return [DesiredVolume(v.name, dc, volume_name(stack.project, stack.environment, v.name,
                                                  dc if v.per_data_center else None),
                          v.size_gb, v.type)
            for v in stack.volumes for dc in v.data_centers]


def parse_volume(raw: Mapping[str, Any]) -> ObservedVolume:
    size = raw.get("size")
    return ObservedVolume(str(raw.get("id")), str(raw.get("name") or ""),
                          size if isinstance(size, int) and not isinstance(size, bool) else None,
                          raw.get("dataCenter") if isinstance(raw.get("dataCenter"), str)
                          else None,
                          raw.get("type") if isinstance(raw.get("type"), str) else None)


def volume_moves(stack: Stack, state: StateDoc) -> dict[str, tuple[str, str]]:
    """`moved` entries that rename a volume (CONTRACT §4): new RunPod name -> (old RunPod
    name, old `volumes[].name`), per data center copy state records under the old volume
    while nothing is recorded under the new name yet."""
    out: dict[str, tuple[str, str]] = {}
    for want in desired_volumes(stack):
        old = next((k for k, v in stack.moved.items() if v == want.volume), None)
        if old is None or want.runpod_name in state.volumes:
            continue
        found = next((name for name, r in sorted(state.volumes.items())
                      if r.volume == old and r.data_center == want.data_center), None)
        if found is not None:
            out[want.runpod_name] = (found, old)
    return out


def plan_volumes(stack: Stack, state: StateDoc,
                 observed: Iterable[Mapping[str, Any]]) -> VolumePlan:
    seen = {v.id: v for v in (parse_volume(raw) for raw in observed)}
    ours = {r.id for r in state.volumes.values()}
    actions: list[VolumeAction] = []
    violations: list[str] = []
    gates: list[Violation] = []
    ids: dict[str, dict[str, str]] = {}
    wanted = desired_volumes(stack)
    moves = volume_moves(stack, state)
    renamed: dict[str, str] = {}  # old RunPod name -> new, of the moves that happen
    lost: set[str] = set()  # made by our own create whose answer was lost
    for want in wanted:
        old_name, old_volume = moves.get(want.runpod_name, (None, None))
        record = state.volumes.get(old_name or want.runpod_name)
        obs = seen.get(record.id) if record is not None else None
        if obs is not None:
            ids.setdefault(want.volume, {})[want.data_center] = obs.id
            if old_name is not None and old_volume is not None:
                renamed[old_name] = want.runpod_name
                actions.append(_move(want, obs, old_name, old_volume))
            action, problem = _converge(want, obs)
            actions += [action] if action else []
            violations += [problem] if problem else []
            continue
        reason = (f"volume {record.id} recorded in state is gone from RunPod (its data with "
                  "it); a new empty one is created" if record is not None else "new volume")
        found = lost_creates(state.volume_intents.get(want.runpod_name), want.runpod_name,
                             seen.values(), ours)
        if record is None and len(found) == 1:
            lost.add(found[0].id)  # not foreign: apply records it and creates nothing
            reason = f"volume {found[0].id} was made by a create whose answer was lost"
        actions.append(VolumeAction(want.volume, want.data_center, "create", want.runpod_name,
                                    (reason,), None, want.size_gb, type=want.type))
    desired_names = {w.runpod_name for w in wanted}
    actions += _removals(stack, state, seen, desired_names | set(renamed), violations, gates)
    warnings = [f"network volume {v.id} is named {v.name!r} like a volume of this stack but "
                "state does not record it: foreign, left alone (this stack uses its own)"
                for v in seen.values()
                if v.name in desired_names and v.id not in ours and v.id not in lost]
    warnings += lost_and_removed(state, list(seen.values()), desired_names | set(renamed))
    # A refused shrink leaves the volume as big as it is: that size is what is billed.
    sizes = {w.runpod_name: w.size_gb for w in wanted}
    for name, record in state.volumes.items():
        kept = seen[record.id].size_gb if record.id in seen else None
        name = renamed.get(name, name)
        if name in sizes and kept is not None:
            sizes[name] = max(sizes[name], kept)
    after = sum(volume_monthly(size) for size in sizes.values())
    before = sum(volume_monthly(seen[r.id].size_gb or r.size_gb)
                 for r in state.volumes.values() if r.id in seen)
    mine = sorted((v.id, v.size_gb) for v in seen.values() if v.id in ours)
    return VolumePlan(tuple(actions), tuple(violations), tuple(warnings), (),
                      round(before, 2), round(after, 2), ids,
                      sha256_of(mine) if mine else "", tuple(gates))


def _removals(stack: Stack, state: StateDoc, seen: Mapping[str, ObservedVolume],
              kept: set[str], violations: list[str],
              gates: list[Violation]) -> list[VolumeAction]:
    """Recorded volumes no longer declared (nor moved): deleted, or forgotten if gone."""
    actions = []
    for name, record in sorted(state.volumes.items()):
        if name in kept:
            continue
        obs = seen.get(record.id)
        size = obs.size_gb if obs is not None and obs.size_gb is not None else record.size_gb
        if obs is None:
            actions.append(VolumeAction(record.volume, record.data_center, "delete", name,
                                        ("removed from the file; already gone from RunPod: "
                                         "forgotten from state",), record.size_gb, None,
                                        gone=True))
            continue
        actions.append(VolumeAction(record.volume, record.data_center, "delete", name,
                                    ("removed from the file",), size, None,
                                    volume_id=record.id))
        violations += still_mounted(stack, name, record.id, record.volume)
        gates += delete_gates(stack.guardrails, record.volume, name, record.id, size,
                              record.data_center)
    return actions


def lost_and_removed(state: StateDoc, seen: list[ObservedVolume],
                     kept: set[str]) -> list[str]:
    """Warnings for a create whose answer was lost, for a volume the file no longer
    declares: the volume it probably made bills unrecorded. Never deleted by a plan: a pod
    may mount it by id by now, or another state of the stack may have made it, and a
    volume state does not record is never touched (CONTRACT §14); `destroy` takes it."""
    ours = {r.id for r in state.volumes.values()}
    out = []
    for name, intent in sorted(state.volume_intents.items()):
        found = lost_creates(intent, name, seen, ours)
        if name in kept or name in state.volumes or len(found) != 1:
            continue
        out.append(f"network volume {found[0].id} ({name}, {found[0].size_gb} GB in "
                   f"{intent.data_center}) was probably made by a create whose answer was lost, "
                   "and the file no longer declares it: it bills until deleted. `destroy` "
                   "deletes it with the stack; or check that nothing uses it and delete it on "
                   "RunPod")
    return out


def _move(want: DesiredVolume, obs: ObservedVolume, old_name: str,
          old_volume: str) -> VolumeAction:
    return VolumeAction(want.volume, want.data_center, "move", want.runpod_name,
                        ("the same volume and its data, renamed on RunPod (PATCH name); pods "
                         "that mount it keep their mount",),
                        obs.size_gb, obs.size_gb, volume_id=obs.id, moved_from=old_volume,
                        old_runpod_name=old_name)


def _converge(want: DesiredVolume,
              obs: ObservedVolume) -> tuple[VolumeAction | None, str | None]:
    where = f"volume {want.volume} in {want.data_center}"
    if moved := data_center_moved(want.volume, want.data_center, obs.id, obs.data_center):
        return None, moved
    if want.type is not None and obs.type is not None and obs.type != want.type:
        return None, (f"{where}: type is fixed at creation ({obs.type}, the file says "
                      f"{want.type}); set type back to {obs.type}, or declare a new volume "
                      "under another name and move the data")
    if obs.size_gb is None or obs.size_gb == want.size_gb:
        return None, None
    if want.size_gb < obs.size_gb:
        return None, (f"{where}: size_gb {obs.size_gb} -> {want.size_gb} is a shrink, and "
                      "RunPod network volumes only grow; set size_gb back to "
                      f"{obs.size_gb}, or declare a new volume under another name, move the "
                      "data, then remove this one (with allow_data_loss)")
    return VolumeAction(want.volume, want.data_center, "grow", want.runpod_name,
                        (f"size_gb: {obs.size_gb} -> {want.size_gb}",), obs.size_gb,
                        want.size_gb, volume_id=obs.id), None


# -- pods that mount a volume of the stack ---------------------------------------------
def bind_mount(body: dict[str, Any], data_center: str | None,
               state: StateDoc) -> dict[str, Any] | None:
    """A create body whose `{volume: name}` mount names that volume's id in `data_center`
    (from state, where apply recorded it before any pod); None when it has no copy there."""
    entry = named_mount(body.get("mounts"))
    if entry is None:
        return body
    record = next((r for r in state.volumes.values()
                   if r.volume == entry["volume"] and r.data_center == data_center), None)
    if record is None:
        return None
    return {**body, "mounts": {"network": [{"volumeId": record.id, "path": entry["path"]}]}}


def bind_volume_ids(desired: list[DesiredPod],
                    ids: Mapping[str, Mapping[str, str]]) -> list[DesiredPod]:
    out = []
    for pod in desired:
        entry = named_mount(pod.public_body.get("mounts"))
        if entry is not None:
            pod = replace(pod, volume_ids=tuple(sorted(ids.get(entry["volume"], {}).values())))
        out.append(pod)
    return out


def narrowing_notes(desired: list[DesiredPod]) -> list[str]:
    """CONTRACT §14: the plan says where a pod with a volume may go, and why."""
    notes = []
    for pod in desired:
        entry = named_mount(pod.public_body.get("mounts"))
        if entry is not None:
            notes.append(f"{pod.logical}: placed only in {', '.join(pod.public_body['dataCenterIds'])}"
                         f", where network volume {entry['volume']} is")
    return notes


def needs_volumes(stacks: Iterable[Stack], states: Iterable[StateDoc]) -> bool:
    """Whether a run must list RunPod's network volumes: only stacks that have any (or a
    create whose answer was lost) do."""
    return (any(s.volumes for s in stacks)
            or any(s.volumes or s.volume_intents for s in states))
