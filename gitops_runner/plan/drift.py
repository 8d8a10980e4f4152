"""Drift findings: desired vs state vs observed, each classed (CONTRACT §6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from gitops_runner.config.model import PodSpec, Stack
from gitops_runner.plan import power
from gitops_runner.plan.changes import FieldChange
from gitops_runner.plan.compare import compare
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.diff import not_visible_yet
from gitops_runner.plan.observed import ObservedPod, Ownership
from gitops_runner.plan.records import (
    applied_pod,
    declared_changes,
    explain_args,
    recorded_changes,
    stack_changes,
)
from gitops_runner.plan.statefile import PodRecord, StateDoc


class DriftClass(StrEnum):
    """CONTRACT §6: RunPod differs from what was applied (drift), the file differs from
    what was applied (pending), or a pod is older than ttl_hours (expired)."""

    DRIFT = "drift"
    PENDING = "pending"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Finding:
    pod: str
    kind: DriftClass
    reasons: tuple[str, ...]

    resource: str = "pod"  # or "endpoint" (CONTRACT §14): then `pod` names the endpoint
    # The field changes behind the reasons, as data for scripts (empty when prose only).
    changes: tuple[FieldChange, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", DriftClass(self.kind))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pod": self.pod, "class": str(self.kind), "reasons": list(self.reasons),
            "changes": [{"field": c.field, "before": c.before, "after": c.after}
                        for c in self.changes]}
        if self.resource != "pod":
            out = {"endpoint": self.pod, "resource": self.resource, **out}
        return out


@dataclass(frozen=True)
class StackDrift:
    stack: Stack
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)  # worth a line, never a finding
    error: str = ""  # the stack could not be checked (its state unreadable, ...)


def find_drift(desired: list[DesiredPod], state: StateDoc, ownership: Ownership,
               secrets: Mapping[str, str], now: datetime, ttl_hours: float = 0) -> list[Finding]:
    findings: list[Finding] = []
    wanted = {d.logical: d for d in desired}
    for want in desired:
        record = state.pods.get(want.logical)
        if record is None:
            if want.logical not in ownership.ours:
                findings.append(Finding(want.logical, DriftClass.PENDING, ("not applied yet",)))
            continue
        changes = explain_args(recorded_changes(record, want), record, want) \
            if record.spec_hash != want.spec_hash else []
        changes += declared_changes(record, want)
        if record.spec_hash != want.spec_hash or changes:
            findings.append(Finding(want.logical, DriftClass.PENDING, (
                "the deploy file changed since the last apply",
                *([c.describe() for c in changes] or ["spec changed"])),
                changes=tuple(changes)))
    for logical, record in sorted(state.pods.items()):
        if logical not in wanted:
            findings.append(Finding(logical, DriftClass.PENDING, (
                "removed from the deploy file but still applied",)))
        group = ownership.ours.get(logical, [])
        obs = next((p for p in group if p.id == record.id), None)
        spec = wanted[logical].spec if logical in wanted else None
        if obs is None and not_visible_yet(record, ownership, now):
            findings.append(Finding(logical, DriftClass.DRIFT, (
                f"pod {record.id} is not visible yet (recorded at {record.updated_at}; "
                "RunPod's reads lag its writes for up to a minute)",)))
            continue
        findings.extend(_observed_findings(logical, record, obs, secrets, now, ttl_hours, spec))
    for logical, group in sorted(ownership.ours.items()):
        record = state.pods.get(logical)
        strays = [p for p in group if record is None or p.id != record.id]
        for pod in strays:
            findings.append(Finding(logical, DriftClass.DRIFT, (
                f"pod {pod.id} carries this stack's markers but is not in state "
                "(left by an interrupted apply, or created by hand)",)))
    return findings


def stack_findings(stack: Stack, state: StateDoc) -> list[Finding]:
    """The stack's own declared fields (guardrails, preview) changed and not applied."""
    if not state.pods and state.serial == 0:
        return []  # never applied: the pods' "not applied yet" say it
    changes = stack_changes(state, stack)
    if not changes:
        return []
    return [Finding(stack.name, DriftClass.PENDING, (
        "the deploy file changed since the last apply", *(c.describe() for c in changes)),
        changes=tuple(changes))]


def _observed_findings(logical: str, record: PodRecord, obs: ObservedPod | None,
                       secrets: Mapping[str, str], now: datetime,
                       ttl_hours: float, spec: PodSpec | None = None) -> list[Finding]:
    if obs is None:
        return [Finding(logical, DriftClass.DRIFT, (f"pod {record.id} is missing from RunPod",))]
    out: list[Finding] = []
    reasons: list[str] = []
    status = power.drift_status(spec, record, obs)
    if status:
        reasons.append(status)
    applied = applied_pod(logical, record)
    plain = {k for k, v in record.spec.get("env", {}).items() if not isinstance(v, dict)}
    d = compare(obs, applied, secrets, plain, set(record.spec.get("env", {})),
                record.spec.get("mounts"))
    # A secret the runner does not have cannot be compared; say nothing about it.
    changed = [c for c in d.update + d.replace if not c.sensitive or c.after is None]
    if changed:
        reasons.append("changed outside gitops-runner (RunPod -> applied): "
                       + "; ".join(c.describe() for c in changed))
    if not record.carries(obs.spec_marker):
        reasons.append("the pod's spec marker differs from the applied spec")
    if reasons:
        out.append(Finding(logical, DriftClass.DRIFT, tuple(reasons), changes=tuple(changed)))
    # Decided from the data: a rotated secret the runner holds is a pending change.
    sensitive = [c for c in d.update if c.rotated and _secret_known(c.field, applied, secrets)]
    if sensitive:
        out.append(Finding(logical, DriftClass.PENDING, tuple(c.describe() for c in sensitive),
                           changes=tuple(sensitive)))
    if ttl_hours and obs.created_at is not None:
        age = (now - obs.created_at).total_seconds() / 3600
        if age > ttl_hours:
            out.append(Finding(logical, DriftClass.EXPIRED, (f"{age:.1f}h old, over ttl_hours "
                                                    f"{ttl_hours:g}",)))
    return out


def _secret_known(name: str, applied: DesiredPod, secrets: Mapping[str, str]) -> bool:
    key = name.removeprefix("env.")
    ref = applied.public_body["env"].get(key)
    return isinstance(ref, dict) and ref.get("secret") in secrets
