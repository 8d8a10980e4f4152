"""A plan: the actions that take RunPod from observed to desired, with cost and guardrails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.identity import sha256_of

if TYPE_CHECKING:
    from gitops_runner.plan.endpoint_diff import EndpointAction, EndpointCost
    from gitops_runner.plan.placement import Landing

ACTION_KINDS = ("create", "update", "replace", "delete", "adopt", "start", "stop")
# Fields that change without anyone changing anything; kept out of the fingerprint.
VOLATILE_VIEW_KEYS = ("status", "cost_per_hour")


@dataclass(frozen=True)
class PlanAction:
    pod: str
    action: str
    reasons: tuple[str, ...]
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
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

    @property
    def terminates(self) -> bool:
        """True when RunPod loses a pod: a delete of a live pod, or a replace."""
        return self.action == "replace" or (self.action == "delete" and self.pod_id is not None)

    def to_json(self) -> dict[str, Any]:
        return {"pod": self.pod, "action": self.action, "reasons": list(self.reasons),
                "before": dict(self.before) if self.before is not None else None,
                "after": dict(self.after) if self.after is not None else None}


def _stable(view: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {k: v for k, v in view.items() if k not in VOLATILE_VIEW_KEYS}


def actions_fingerprint(actions: tuple[PlanAction, ...] | list[PlanAction]) -> str:
    return sha256_of([{**a.to_json(), "before": _stable(a.before), "after": _stable(a.after)}
                      for a in actions])


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
    # USD per 30 days (CONTRACT §11); without_schedule: as if scheduled pods always ran.
    monthly_before: float = 0.0
    monthly_after: float = 0.0
    monthly_without_schedule: float = 0.0
    # The deploy files the plan was made from, so `apply PLANFILE` needs no -c (§6).
    deploy_files: tuple[str, ...] = ()
    # Where each create or replace will likely land (plan/placement.py). A prediction from
    # stock that moves with time: shown and saved, never part of the fingerprint.
    landings: tuple[Landing, ...] = ()
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
        if not self.endpoint_actions:
            return pods  # plans without endpoints keep the fingerprint they always had
        from gitops_runner.plan.endpoint_diff import endpoints_fingerprint
        return sha256_of([pods, endpoints_fingerprint(self.endpoint_actions)])

    @property
    def has_changes(self) -> bool:
        return bool(self.actions) or bool(self.endpoint_actions)

    @property
    def cost_delta(self) -> float:
        return round(self.cost_after - self.cost_before, 4)

    def count(self, kind: str) -> int:
        return sum(1 for a in self.actions if a.action == kind)
