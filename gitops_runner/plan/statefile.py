"""The state document (CONTRACT §7): what was last applied, and its render/parse pair.

Pure data and JSON; backends in gitops_runner/state/ only move the text around.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_runner.errors import GitopsError
from gitops_runner.plan.endpoint_state import EndpointRecord

FORMAT_VERSION = 1
HISTORY_LIMIT = 100


class StateFormatError(GitopsError):
    """The stored state cannot be read (corrupt, or written by a newer version)."""


class StateConflictError(GitopsError):
    """A write would lose an update: stale serial, other lineage, or changed since read."""


@dataclass(frozen=True)
class IdleSample:
    """One `schedule` run's reading of a running pod's per-GPU utilisation (CONTRACT §11)."""

    at: str  # RFC 3339 UTC
    util: tuple[float, ...]


@dataclass(frozen=True)
class PodRecord:
    id: str
    runpod_name: str
    spec_hash: str
    gpu: str
    gpu_count: int
    cost: float
    created_at: str
    updated_at: str
    # The public create body (secret values as {"secret": NAME}) that was applied.
    spec: Mapping[str, Any] = field(default_factory=dict)
    healthy: bool = True
    # Pods this one replaced that are still to be terminated once it is ready.
    superseded: tuple[str, ...] = ()
    # idle_stop (CONTRACT §11): when `schedule` stopped the pod for idleness (RFC 3339 UTC).
    # `idle_since` is what versions before idle samples wrote; read, no longer written.
    idle_since: str | None = None
    idle_stopped: str | None = None
    # The spec marker the pod still carries after a state-only refresh (None: spec_hash).
    pod_marker: str | None = None
    # The current run of idle samples, oldest first (bounded; plan/schedule.py keeps it).
    idle_samples: tuple[IdleSample, ...] = ()

    def carries(self, marker: str | None) -> bool:
        """True when `marker` is one this record accepts on its pod."""
        return marker is not None and marker in (self.spec_hash, self.pod_marker)


@dataclass(frozen=True)
class VolumeRecord:
    """A network volume the stack created (CONTRACT §14), keyed in state by its RunPod name."""

    id: str
    volume: str  # the `volumes[].name` it was made for
    data_center: str
    size_gb: int
    type: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class VolumeIntent:
    """A network volume create about to be sent (journaled before the POST): volumes carry
    no markers, so the one with this name and data center that is not in `known` (the
    same-named ids RunPod had before) is this create's, found again after a crash."""

    volume: str  # the `volumes[].name` it is made for
    data_center: str
    known: tuple[str, ...]
    at: str


@dataclass(frozen=True)
class HistoryEntry:
    when: str
    who: str
    operation: str
    fingerprint: str
    result: str


@dataclass(frozen=True)
class StateDoc:
    stack: str
    lineage: str
    serial: int = 0
    pods: Mapping[str, PodRecord] = field(default_factory=dict)
    history: tuple[HistoryEntry, ...] = ()
    format_version: int = FORMAT_VERSION
    # Pods forgotten with `state rm` (pod id -> the logical name it had): left alone by
    # plan and destroy until `state import` (CONTRACT §7).
    unmanaged: Mapping[str, str] = field(default_factory=dict)
    # The stack's declared fields that no pod carries (guardrails, preview) as last
    # applied (CONTRACT §4 "Everything declared is reviewed"); None: never recorded.
    declared: Mapping[str, Any] | None = None
    # Network volumes (CONTRACT §14): RunPod name -> record. Absent from older states.
    volumes: Mapping[str, VolumeRecord] = field(default_factory=dict)
    # Serverless endpoints (CONTRACT §14), by entry name; absent from older files.
    endpoints: Mapping[str, EndpointRecord] = field(default_factory=dict)
    # Volume creates sent but not (yet) recorded, by RunPod name; absent from older files.
    volume_intents: Mapping[str, VolumeIntent] = field(default_factory=dict)

    @classmethod
    def empty(cls, stack: str, lineage: str | None = None) -> StateDoc:
        return cls(stack=stack, lineage=lineage or str(uuid.uuid4()), serial=0)

    def with_pod(self, logical: str, record: PodRecord | None) -> StateDoc:
        pods = dict(self.pods)
        if record is None:
            pods.pop(logical, None)
        else:
            pods[logical] = record
        return replace(self, pods=pods)

    def with_volume(self, runpod_name: str, record: VolumeRecord | None) -> StateDoc:
        volumes = dict(self.volumes)
        if record is None:
            volumes.pop(runpod_name, None)
        else:
            volumes[runpod_name] = record
        intents = {k: v for k, v in self.volume_intents.items() if k != runpod_name}
        return replace(self, volumes=volumes, volume_intents=intents)

    def with_volume_intent(self, runpod_name: str, intent: VolumeIntent) -> StateDoc:
        return replace(self, volume_intents={**self.volume_intents, runpod_name: intent})

    def with_endpoint(self, name: str, record: EndpointRecord | None) -> StateDoc:
        endpoints = dict(self.endpoints)
        if record is None:
            endpoints.pop(name, None)
        else:
            endpoints[name] = record
        return replace(self, endpoints=endpoints)

    def forget(self, logical: str) -> StateDoc:
        """`state rm`: drop the pod's record, keeping its id as unmanaged."""
        record = self.pods.get(logical)
        unmanaged = dict(self.unmanaged)
        if record is not None:
            unmanaged[record.id] = logical
        return replace(self.with_pod(logical, None), unmanaged=unmanaged)

    def with_history(self, entry: HistoryEntry) -> StateDoc:
        return replace(self, history=(*self.history, entry)[-HISTORY_LIMIT:])

    def next_serial(self) -> StateDoc:
        return replace(self, serial=self.serial + 1)


def render_state(doc: StateDoc) -> str:
    data = {
        "format_version": doc.format_version,
        "lineage": doc.lineage,
        "serial": doc.serial,
        "stack": doc.stack,
        "pods": {name: _record_dict(rec) for name, rec in sorted(doc.pods.items())},
        "history": [vars(h) for h in doc.history],
    }
    if doc.unmanaged:
        data["unmanaged"] = dict(sorted(doc.unmanaged.items()))
    if doc.declared is not None:
        # Written only when recorded, so older states read as before.
        data["declared"] = dict(doc.declared)
    if doc.volumes:
        # Written only when there are some, so states without volumes stay byte-identical.
        data["volumes"] = {name: vars(rec) for name, rec in sorted(doc.volumes.items())}
    if doc.endpoints:  # written only when there are some: older states stay byte-identical
        data["endpoints"] = {n: r.to_json() for n, r in sorted(doc.endpoints.items())}
    if doc.volume_intents:
        data["volume_intents"] = {n: {**vars(i), "known": list(i.known)}
                                  for n, i in sorted(doc.volume_intents.items())}
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def _record_dict(rec: PodRecord) -> dict[str, Any]:
    out = {"id": rec.id, "runpod_name": rec.runpod_name, "spec_hash": rec.spec_hash,
           "gpu": rec.gpu, "gpu_count": rec.gpu_count, "cost": rec.cost,
           "created_at": rec.created_at, "updated_at": rec.updated_at,
           "healthy": rec.healthy, "superseded": list(rec.superseded),
           "spec": dict(rec.spec), **_idle_dict(rec)}
    if rec.pod_marker is not None:
        # Written only when set, so states without refreshes stay byte-identical.
        out["pod_marker"] = rec.pod_marker
    if rec.idle_samples:
        out["idle_samples"] = [{"at": x.at, "util": list(x.util)} for x in rec.idle_samples]
    return out


def _idle_dict(rec: PodRecord) -> dict[str, str]:
    # Written only when set, so states without idle stop read as before.
    return {k: v for k, v in (("idle_since", rec.idle_since),
                              ("idle_stopped", rec.idle_stopped)) if v is not None}


def parse_state(text: str, source: str = "state") -> StateDoc:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateFormatError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}); "
                               "restore an earlier version from the bucket's versioning or "
                               "the local backup") from None
    if not isinstance(data, dict):
        raise StateFormatError(f"{source}: the state must be a JSON object")
    version = data.get("format_version", 0)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StateFormatError(f"{source}: written by a newer gitops-runner (state format "
                               f"{version}, this version reads up to {FORMAT_VERSION}); "
                               "upgrade gitops-runner")
    data = _migrate(data, version)
    try:
        pods = {str(name): PodRecord(**{**rec, "spec": rec.get("spec", {}),
                                        "superseded": tuple(rec.get("superseded", ())),
                                        "idle_samples": _samples(rec.get("idle_samples"))})
                for name, rec in data["pods"].items()}
        history = tuple(HistoryEntry(**h) for h in data.get("history", []))
        return StateDoc(stack=str(data["stack"]), lineage=str(data["lineage"]),
                        serial=int(data["serial"]), pods=pods, history=history,
                        format_version=FORMAT_VERSION,
                        unmanaged={str(k): str(v) for k, v in
                                   dict(data.get("unmanaged") or {}).items()},
                        volumes={str(k): VolumeRecord(**v) for k, v in
                                 dict(data.get("volumes") or {}).items()},
                        endpoints={str(n): EndpointRecord.from_json(r) for n, r in
                                   dict(data.get("endpoints") or {}).items()},
                        volume_intents={str(n): VolumeIntent(
                            str(i["volume"]), str(i["data_center"]), tuple(str(k) for k in i["known"]),
                            str(i["at"])) for n, i in
                            dict(data.get("volume_intents") or {}).items()},
                        declared=dict(data["declared"]) if data.get("declared") is not None
                        else None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StateFormatError(f"{source}: malformed state ({type(exc).__name__}: {exc})") from None


def _samples(raw: Any) -> tuple[IdleSample, ...]:
    # Absent in states written before idle samples: no samples yet.
    return tuple(IdleSample(str(x["at"]), tuple(float(u) for u in x["util"]))
                 for x in raw or ())


def _migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    if version == 0:
        # Pre-release documents had no format_version, history or health flag.
        data = {**data, "history": data.get("history", [])}
        for rec in data.get("pods", {}).values():
            rec.setdefault("healthy", True)
            rec.setdefault("runpod_name", "")
    return data


def check_successor(current: StateDoc | None, new: StateDoc) -> None:
    """Refuse a write that would not raise serial or that belongs to another lineage."""
    if current is None:
        return
    if new.lineage != current.lineage:
        raise StateConflictError(
            f"refusing to write state for {new.stack}: lineage {new.lineage} differs from the "
            f"stored lineage {current.lineage} (a state of another stack's life?)")
    if new.serial <= current.serial:
        raise StateConflictError(
            f"refusing to write state for {new.stack}: serial {new.serial} does not exceed the "
            f"stored serial {current.serial}; someone else wrote state since it was read — "
            "run again")
