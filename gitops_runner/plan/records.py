"""The state record of a pod, built in one place (CONTRACT §7): what apply records of a
desired pod, what a state-only action refreshes, and the applied views rebuilt from it
(what drift compares RunPod against, what `schedule` acts on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gitops_runner.config.model import (
    Guardrails,
    HealthCheck,
    IdleStop,
    PodSpec,
    Rollout,
    Stack,
)
from gitops_runner.config.windows import Schedule
from gitops_runner.plan.changes import FieldChange
from gitops_runner.plan.compare import spec_changes
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.observed import ObservedPod
from gitops_runner.plan.serving import model_args
from gitops_runner.plan.statefile import PodRecord, StateDoc

STAMP = "%Y-%m-%dT%H:%M:%SZ"
# Declared fields that send nothing to RunPod but decide what the tool does to the pod
# (CONTRACT §4 "Everything declared is reviewed"); state records them at apply.
DECLARED = "declared"
# The `models` entries the serving args were derived from (plan/serving.py), as the file
# spells them, so a plan shows `models[0].load.max_seq_len` rather than two args strings.
MODELS = "models"


def declared(spec: PodSpec | None) -> dict[str, Any]:
    """The declared, state-only fields of a pod entry, as canonical JSON values."""
    if spec is None:
        return dict(_DEFAULT_DECLARED)
    return {
        "status": spec.status,
        "schedule": _jsonable(spec.schedule) if spec.schedule is not None else None,
        "idle_stop": dataclasses.asdict(spec.idle_stop) if spec.idle_stop else None,
        "health_check": dataclasses.asdict(spec.health_check) if spec.health_check else None,
        "rollout": dataclasses.asdict(spec.rollout),
    }


_DEFAULT_DECLARED: dict[str, Any] = {
    "status": "running", "schedule": None, "idle_stop": None, "health_check": None,
    "rollout": dataclasses.asdict(Rollout())}


def applied_declared(record: PodRecord) -> dict[str, Any]:
    """What state says was applied; a record from before these were kept: the defaults."""
    recorded = record.spec.get(DECLARED)
    out = {**_DEFAULT_DECLARED, **(dict(recorded) if isinstance(recorded, Mapping) else {})}
    if isinstance(out["schedule"], Mapping):
        # Recorded before `on_no_gpu` existed: its default.
        out["schedule"] = {"on_no_gpu": "report", **out["schedule"]}
    return out


def declared_changes(record: PodRecord, want: DesiredPod) -> list[FieldChange]:
    old, new = applied_declared(record), declared(want.spec)
    return [FieldChange(key, old.get(key), new[key]) for key in new if old.get(key) != new[key]]


def record_spec(want: DesiredPod) -> dict[str, object]:
    """What state keeps of a desired pod: the public body, its GPU candidates and its
    declared state-only fields."""
    body = dict(want.public_body)
    body["gpu"] = {**want.public_body["gpu"], "candidates": list(want.candidates)}
    body[DECLARED] = declared(want.spec)
    models = models_record(want.spec)
    if models is not None:
        body[MODELS] = models
    return body


def models_record(spec: PodSpec | None) -> list[dict[str, Any]] | None:
    """The pod's `models` when its args are derived from them (runtime.args empty)."""
    if spec is None or model_args(spec) is None:
        return None
    return [{"id": m.id, "repo": m.repo,
             "load": {"engine": m.engine, "quant": m.quant, "max_seq_len": m.max_seq_len,
                      "options": dict(m.options)},
             "api_key": {"secret": m.api_key.name} if m.api_key is not None else None}
            for m in spec.models]


def recorded_changes(record: PodRecord, want: DesiredPod) -> list[FieldChange]:
    """The sent fields that differ between state's spec and the desired one (the declared
    ones and the models the args come from are reviewed on their own)."""
    return [c for c in spec_changes(record.spec, record_spec(want))
            if c.field.split(".")[0] not in (DECLARED, MODELS)]


def explain_args(changes: list[FieldChange], record: PodRecord | None,
                 want: DesiredPod) -> list[FieldChange]:
    """An args change that is exactly the file's `models` edit, shown as the model fields
    that changed. Only when RunPod still runs the applied args: drift stays visible."""
    old, new = record.spec.get(MODELS) if record else None, models_record(want.spec)
    args = [c for c in changes if c.field == "args"]
    if (record is None or not isinstance(old, list) or new is None or len(args) != 1
            or args[0].before != record.spec.get("args")):
        return changes
    edits: list[FieldChange] = []
    for i in range(max(len(old), len(new))):
        a, b = (old[i] if i < len(old) else None), (new[i] if i < len(new) else None)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            edits += spec_changes(a, b, f"models[{i}].")
        elif a != b:
            edits.append(FieldChange(f"models[{i}]", a, b))
    if not edits:
        return changes
    return [e for c in changes for e in (edits if c.field == "args" else [c])]


def refreshed_record(record: PodRecord, want: DesiredPod, updated_at: str) -> PodRecord:
    """State after a state-only action: the new spec, and the marker the pod keeps.

    The pod is not touched, so its GITOPS_RUNNER_SPEC still names the last spec
    really sent; `pod_marker` remembers it so drift does not report it.
    """
    marker = record.pod_marker or record.spec_hash
    return dataclasses.replace(
        record, spec_hash=want.spec_hash, spec=record_spec(want), updated_at=updated_at,
        pod_marker=marker if marker != want.spec_hash else record.pod_marker)


def pod_record(want: DesiredPod, pod: ObservedPod, previous: PodRecord | None, now: str,
               healthy: bool, superseded: tuple[str, ...] = ()) -> PodRecord:
    """The record of a pod apply has just created, replaced, updated or adopted."""
    keep = previous.superseded if previous is not None else ()
    if previous is not None and previous.id != pod.id:
        # The recorded pod is being replaced: if it shows up again it is ours to
        # terminate, under the delete guardrails, never as an unrecorded duplicate.
        keep = (*keep, previous.id)
    created = previous.created_at if previous is not None and previous.id == pod.id else (
        pod.created_at.strftime(STAMP) if pod.created_at else now)
    return PodRecord(
        id=pod.id, runpod_name=want.runpod_name, spec_hash=want.spec_hash,
        gpu=pod.gpu_id or want.candidates[0], gpu_count=pod.gpu_count or 1,
        cost=pod.cost, created_at=created, updated_at=now, spec=record_spec(want),
        healthy=healthy,
        superseded=tuple(i for i in dict.fromkeys((*superseded, *keep)) if i != pod.id),
        # The marker the pod really carries, when no PATCH refreshed it (CONTRACT §5).
        pod_marker=pod.spec_marker if pod.spec_marker not in (None, want.spec_hash) else None)


def imported_record(want: DesiredPod, pod: ObservedPod, now: str) -> PodRecord:
    """`state import`: the spec hash is the pod's own marker (or none), so the next plan
    shows every difference from the deploy file, markers included, as an update to
    review; no declared fields, so those are reviewed too (CONTRACT §4)."""
    spec = {k: v for k, v in record_spec(want).items() if k not in (DECLARED, MODELS)}
    return PodRecord(id=pod.id, runpod_name=pod.name, spec_hash=pod.spec_marker or "imported",
                     gpu=pod.gpu_id or "", gpu_count=pod.gpu_count, cost=pod.cost,
                     created_at=now, updated_at=now, spec=spec)


def applied_pod(logical: str, record: PodRecord) -> DesiredPod:
    """What was applied, rebuilt from state, to compare RunPod against."""
    spec = {k: v for k, v in record.spec.items() if k not in (DECLARED, MODELS)}
    gpu = dict(spec.get("gpu", {}))
    candidates = tuple(gpu.pop("candidates", [record.gpu]))
    spec["gpu"] = gpu
    spec.setdefault("env", {})
    spec.setdefault("ports", [])
    spec.setdefault("name", record.runpod_name)
    spec.setdefault("cloud", "SECURE")
    return DesiredPod(logical, record.runpod_name, None, candidates, spec, record.spec_hash)


def applied_spec(spec: PodSpec, record: PodRecord) -> PodSpec:
    """The file's pod entry with the state-only fields state recorded at apply: what
    `schedule` and idle stop act on, never a file nobody applied (CONTRACT §4, §11)."""
    applied = applied_declared(record)
    sched, idle, health = applied["schedule"], applied["idle_stop"], applied["health_check"]
    return dataclasses.replace(
        spec, status=applied["status"],
        schedule=Schedule(sched["timezone"], tuple(sched["running"]),
                          sched["on_no_gpu"]) if sched else None,
        idle_stop=IdleStop(**idle) if idle else None,
        health_check=HealthCheck(**health) if health else None,
        rollout=Rollout(**applied["rollout"]))


def just_written(record: PodRecord, now: datetime, seconds: float) -> bool:
    """Recorded less than `seconds` ago (RunPod's list lags its writes)."""
    try:
        written = datetime.strptime(record.updated_at, STAMP).replace(tzinfo=UTC)
    except ValueError:
        return False
    return 0 <= (now - written).total_seconds() < seconds


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def stack_declared(stack: Stack) -> dict[str, Any]:
    """The stack's declared fields no pod carries: its guardrails and preview policy."""
    preview = stack.preview
    # The whole preview policy (CONTRACT §12: the default branch's file decides what a pull
    # request may run, so each allow-list and the overrides are reviewed like guardrails).
    # Its pods are the stack's pods with overrides merged: the pods' own actions show those.
    # A list, flag or overrides left at its default is left out, so a state recorded before
    # these were kept sees no change for them.
    policy = {"label": preview.label, "ttl_hours": preview.ttl_hours,
              "max_hourly_cost": preview.max_hourly_cost, **{
                  key: _jsonable(value) for key in _POLICY
                  if (value := getattr(preview, key))}} if preview is not None else None
    return {"guardrails": _jsonable(stack.guardrails), "preview": policy}


_POLICY = ("overrides", "allowed_gpu_types", "allowed_images", "allowed_secrets",
           "allow_runpod_secrets", "network_volumes", "registry_auth_ids")


def stack_changes(state: StateDoc, stack: Stack) -> list[FieldChange]:
    """What the file changes of the stack's own declared fields since the last apply
    (a state that never recorded them: what differs from the defaults, reviewed once)."""
    applied = state.declared if state.declared is not None else _DEFAULT_STACK
    return spec_changes(dict(applied), stack_declared(stack))


# What a state that never recorded the stack's declared fields is compared with: the
# defaults, so only what the file sets is shown (once) for review.
_DEFAULT_STACK: dict[str, Any] = {"guardrails": _jsonable(Guardrails()), "preview": None}
