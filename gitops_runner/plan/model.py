"""A plan: the actions that take RunPod from observed to desired, with cost and guardrails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitops_runner.plan.changes import ACTION_KINDS, ActionKind, Destroyed, FieldChange, Violation
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.identity import sha256_of
from gitops_runner.plan.network_volumes import VolumeAction, volumes_fingerprint

if TYPE_CHECKING:
    from gitops_runner.plan.endpoint_diff import EndpointAction, EndpointCost
    from gitops_runner.plan.placement import Landing

__all__ = ["ACTION_KINDS", "ActionKind", "Destroyed", "FieldChange", "Plan", "PlanAction"]

# Facts that move with time (status, price, age): shown, never fingerprinted (CONTRACT §4).
VOLATILE_VIEW_KEYS = ("status", "cost_per_hour")


@dataclass(frozen=True)
class PlanAction:
    """One action of a plan. `changes` and `destroys` are what a reviewer approves (and
    what the fingerprint covers); `notes` explain it with facts that may move with time
    (a pod's age, its status) and are shown only."""

    pod: str
    action: ActionKind
    changes: tuple[FieldChange, ...] = ()
    notes: tuple[str, ...] = ()
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    destroys: tuple[Destroyed, ...] = ()
    # A pod entry renamed by `moved` (CONTRACT §4): the logical name it had.
    moved_from: str | None = None
    # How to carry it out; not part of the plan file.
    pod_id: str | None = field(default=None, compare=False)
    patch_fields: tuple[str, ...] = field(default=(), compare=False)
    start: bool = field(default=False, compare=False)
    # Stop the pod once the action is done and the pod checked ready (CONTRACT §11).
    stop_after: bool = field(default=False, compare=False)
    # Record the new spec in state only: the pod already satisfies it and any PATCH
    # would restart its container (CONTRACT §5). No RunPod request at all.
    state_only: bool = field(default=False, compare=False)
    # Run only after this logical pod is ready (deletes of replaced pods).
    wait_for: str | None = field(default=None, compare=False)
    desired: DesiredPod | None = field(default=None, compare=False, repr=False)
    cost_before: float = field(default=0.0, compare=False)
    cost_after: float = field(default=0.0, compare=False)
    # A delete of a duplicate our own lost create made: not held to the delete guardrails.
    duplicate: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", ActionKind(self.action))

    @property
    def reasons(self) -> tuple[str, ...]:
        """The prose form, rendered from the data (kept for older readers)."""
        return (*self.notes, *(c.describe() for c in self.changes))

    @property
    def terminates(self) -> bool:
        """True when RunPod loses a pod: a delete of a live pod, or a replace."""
        return self.action == "replace" or (self.action == "delete" and self.pod_id is not None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pod": self.pod, "action": str(self.action), "reasons": list(self.reasons),
            "before": dict(self.before) if self.before is not None else None,
            "after": dict(self.after) if self.after is not None else None,
            "changes": [c.to_json() for c in self.changes], "notes": list(self.notes),
            "destroys": [d.to_json() for d in self.destroys]}
        if self.moved_from:
            out["moved_from"] = self.moved_from
        return out

    def reviewed(self) -> dict[str, Any]:
        """What the fingerprint covers: the structured action, no prose, no moving facts."""
        return {"pod": self.pod, "action": str(self.action), "moved_from": self.moved_from,
                "changes": [c.to_json() for c in self.changes],
                "destroys": [d.to_json() for d in self.destroys],
                "before": _pod_id(self.before), "after": _stable(self.after)}


def _pod_id(before: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Of what RunPod shows, only which pod: each changed field's before is in `changes`,
    and the rest is observation that may move (RunPod leaves a field out, misreports
    mounts as {}, adds env keys) without anything to review changing (CONTRACT §4)."""
    return None if before is None else {"id": before.get("id")}


def _stable(view: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {k: v for k, v in view.items() if k not in VOLATILE_VIEW_KEYS}


def actions_fingerprint(actions: tuple[PlanAction, ...] | list[PlanAction]) -> str:
    """SHA-256 over canonical JSON of the structured actions (CONTRACT §4)."""
    return sha256_of([a.reviewed() for a in actions])


def legacy_fingerprint(raw_actions: list[dict[str, Any]]) -> str:
    """The fingerprint plan files written before changes-as-data carried (reasons in)."""
    return sha256_of([{"pod": r["pod"], "action": r["action"], "reasons": list(r["reasons"]),
                       "before": _stable(r.get("before")), "after": _stable(r.get("after"))}
                      for r in raw_actions])


@dataclass(frozen=True)
class Plan:
    project: str
    environment: str
    lineage: str
    serial: int
    observed_fingerprint: str
    actions: tuple[PlanAction, ...]
    unchanged: tuple[str, ...] = ()
    cost_before: float = 0.0
    cost_after: float = 0.0
    violations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # The guardrail ones among `violations`, as data (rule, limit, value) for scripts.
    violation_details: tuple[Violation, ...] = ()
    # USD per 30 days (CONTRACT §11); without_schedule: as if scheduled pods always ran.
    monthly_before: float = 0.0
    monthly_after: float = 0.0
    monthly_without_schedule: float = 0.0
    # The deploy files the plan was made from, so `apply PLANFILE` needs no -c (§6).
    deploy_files: tuple[str, ...] = ()
    # Where each create or replace will likely land (plan/placement.py). A prediction from
    # stock that moves with time: shown and saved, never part of the fingerprint.
    landings: tuple[Landing, ...] = ()
    # The stack's own declared fields (guardrails, preview) changed since the last apply:
    # recorded in state by apply, reviewed like any action (CONTRACT §4).
    stack_changes: tuple[FieldChange, ...] = ()
    # Network volumes (CONTRACT §14, plan/network_volumes.py): created and grown before the pods,
    # deleted after them.
    volume_actions: tuple[VolumeAction, ...] = ()
    # Serverless endpoints (CONTRACT §14): plan/endpoint_plan.py.
    endpoint_actions: tuple[EndpointAction, ...] = ()
    endpoints_unchanged: tuple[str, ...] = ()
    endpoint_costs: tuple[EndpointCost, ...] = ()

    @property
    def stack(self) -> str:
        return f"{self.project}/{self.environment}"

    @property
    def fingerprint(self) -> str:
        pods = actions_fingerprint(self.actions)
        parts: list[Any] = [pods]
        if self.volume_actions:
            parts.append(volumes_fingerprint(self.volume_actions))
        if self.endpoint_actions:
            from gitops_runner.plan.endpoint_diff import endpoints_fingerprint
            parts.append(endpoints_fingerprint(self.endpoint_actions))
        if self.stack_changes:
            parts.append({"stack": [c.to_json() for c in self.stack_changes]})
        # Plans with pods only keep the fingerprint of their actions alone.
        return pods if len(parts) == 1 else sha256_of(parts)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions or self.volume_actions or self.endpoint_actions
                    or self.stack_changes)

    @property
    def cost_delta(self) -> float:
        return round(self.cost_after - self.cost_before, 4)

    @property
    def destroys(self) -> list[tuple[str, Destroyed]]:
        return [(a.pod, d) for a in self.actions for d in a.destroys]

    def count(self, kind: str) -> int:
        return sum(1 for a in self.actions if a.action == kind)
