"""Drift findings: desired vs state vs observed, each classed (CONTRACT §6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gitops_runner.config.model import PodSpec, Stack
from gitops_runner.plan import power
from gitops_runner.plan.compare import compare, doubt_mounts, spec_changes
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.diff import not_visible_yet, record_spec
from gitops_runner.plan.observed import ObservedPod, Ownership
from gitops_runner.plan.statefile import PodRecord, StateDoc


@dataclass(frozen=True)
class Finding:
    pod: str
    kind: str  # drift | pending | expired
    reasons: tuple[str, ...]

    resource: str = "pod"  # or "endpoint" (CONTRACT §14): then `pod` names the endpoint

    def to_json(self) -> dict[str, Any]:
        out = {"pod": self.pod, "class": self.kind, "reasons": list(self.reasons)}
        if self.resource != "pod":
            out = {"endpoint": self.pod, "resource": self.resource, **out}
        return out


@dataclass(frozen=True)
class StackDrift:
    stack: Stack
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)  # worth a line, never a finding
    error: str = ""  # the stack could not be checked (its state unreadable, ...)


def _applied(logical: str, record: PodRecord) -> DesiredPod:
    """What was applied, rebuilt from state, to compare RunPod against."""
    spec = dict(record.spec)
    gpu = dict(spec.get("gpu", {}))
    candidates = tuple(gpu.pop("candidates", [record.gpu]))
    spec["gpu"] = gpu
    spec.setdefault("env", {})
    spec.setdefault("ports", [])
    spec.setdefault("name", record.runpod_name)
    spec.setdefault("cloud", "SECURE")
    return DesiredPod(logical, record.runpod_name, None, candidates, spec, record.spec_hash)


def find_drift(desired: list[DesiredPod], state: StateDoc, ownership: Ownership,
               secrets: Mapping[str, str], now: datetime, ttl_hours: float = 0) -> list[Finding]:
    findings: list[Finding] = []
    wanted = {d.logical: d for d in desired}
    for want in desired:
        record = state.pods.get(want.logical)
        if record is None:
            if want.logical not in ownership.ours:
                findings.append(Finding(want.logical, "pending", ("not applied yet",)))
            continue
        if record.spec_hash != want.spec_hash:
            changes = spec_changes(record.spec, record_spec(want)) or ["spec changed"]
            findings.append(Finding(want.logical, "pending",
                                    ("the deploy file changed since the last apply", *changes)))
    for logical, record in sorted(state.pods.items()):
        if logical not in wanted:
            findings.append(Finding(logical, "pending", ("removed from the deploy file but "
                                                         "still applied",)))
        group = ownership.ours.get(logical, [])
        obs = next((p for p in group if p.id == record.id), None)
        spec = wanted[logical].spec if logical in wanted else None
        if obs is None and not_visible_yet(record, ownership, now):
            findings.append(Finding(logical, "drift", (
                f"pod {record.id} is not visible yet (recorded at {record.updated_at}; "
                "RunPod's reads lag its writes for up to a minute)",)))
            continue
        findings.extend(_observed_findings(logical, record, obs, secrets, now, ttl_hours, spec))
    for logical, group in sorted(ownership.ours.items()):
        record = state.pods.get(logical)
        strays = [p for p in group if record is None or p.id != record.id]
        for pod in strays:
            findings.append(Finding(logical, "drift", (
                f"pod {pod.id} carries this stack's markers but is not in state "
                "(left by an interrupted apply, or created by hand)",)))
    return findings


def _observed_findings(logical: str, record: PodRecord, obs: ObservedPod | None,
                       secrets: Mapping[str, str], now: datetime,
                       ttl_hours: float, spec: PodSpec | None = None) -> list[Finding]:
    if obs is None:
        return [Finding(logical, "drift", (f"pod {record.id} is missing from RunPod",))]
    out: list[Finding] = []
    reasons: list[str] = []
    status = power.drift_status(spec, record, obs)
    if status:
        reasons.append(status)
    applied = _applied(logical, record)
    available = {name: value for name, value in secrets.items()}
    plain = {k for k, v in record.spec.get("env", {}).items() if not isinstance(v, dict)}
    d = compare(doubt_mounts(obs, record.spec), applied, available, plain,
                set(record.spec.get("env", {})))
    # A secret the runner does not have cannot be compared; say nothing about it.
    changed = [r for r in d.update + d.replace if "(sensitive" not in r]
    if changed:
        reasons.append("changed outside gitops-runner (RunPod -> applied): " + "; ".join(changed))
    if not record.carries(obs.spec_marker):
        reasons.append("the pod's spec marker differs from the applied spec")
    if reasons:
        out.append(Finding(logical, "drift", tuple(reasons)))
    sensitive = [r for r in d.update if "(sensitive value changed)" in r
                 and _secret_known(r, applied, secrets)]
    if sensitive:
        out.append(Finding(logical, "pending", tuple(sensitive)))
    if ttl_hours and obs.created_at is not None:
        age = (now - obs.created_at).total_seconds() / 3600
        if age > ttl_hours:
            out.append(Finding(logical, "expired", (f"{age:.1f}h old, over ttl_hours "
                                                    f"{ttl_hours:g}",)))
    return out


def _secret_known(reason: str, applied: DesiredPod, secrets: Mapping[str, str]) -> bool:
    key = reason.split(":", 1)[0].removeprefix("env.")
    ref = applied.public_body["env"].get(key)
    return isinstance(ref, dict) and ref.get("secret") in secrets
