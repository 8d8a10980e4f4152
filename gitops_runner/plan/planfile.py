"""The plan file (CONTRACT §7): render a Plan to JSON and read one back."""

from __future__ import annotations

import json
from typing import Any

from gitops_runner.errors import GitopsError
from gitops_runner.plan.changes import Violation
from gitops_runner.plan.endpoint_diff import EndpointAction, EndpointCost
from gitops_runner.plan.model import (
    ACTION_KINDS,
    Destroyed,
    FieldChange,
    Plan,
    PlanAction,
    legacy_fingerprint,
)
from gitops_runner.plan.network_volumes import VolumeAction
from gitops_runner.plan.placement import Landing

PLAN_FORMAT_VERSION = 1


class PlanFileError(GitopsError):
    pass


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "stack": {"project": plan.project, "environment": plan.environment},
        "state": {"lineage": plan.lineage, "serial": plan.serial},
        "observed_fingerprint": plan.observed_fingerprint,
        "fingerprint": plan.fingerprint,
        "actions": [a.to_json() for a in plan.actions],
        "unchanged": list(plan.unchanged),
        "cost": {"before": plan.cost_before, "after": plan.cost_after, "delta": plan.cost_delta,
                 "monthly_before": plan.monthly_before, "monthly_after": plan.monthly_after,
                 "monthly_without_schedule": plan.monthly_without_schedule},
        "guardrail_violations": list(plan.violations),
        "violation_details": [v.to_json() for v in plan.violation_details],
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
        "deploy_files": list(plan.deploy_files),
        "placements": [landing.to_json() for landing in plan.landings],
        "volume_actions": [a.to_json() for a in plan.volume_actions],
        # Serverless endpoints (CONTRACT §14): actions, and each endpoint's cost bounds.
        "endpoint_actions": [a.to_json() for a in plan.endpoint_actions],
        "endpoints": [{"endpoint": c.endpoint, "min_workers": c.min_workers,
                       "max_workers": c.max_workers,
                       "unchanged": c.endpoint in plan.endpoints_unchanged}
                      for c in plan.endpoint_costs],
        "stack_changes": [c.to_json() for c in plan.stack_changes],
    }


def render_plan_file(plans: list[Plan]) -> str:
    """{"format_version", "stacks": [plan, ...]}: one shape for one stack or many (§6),
    so a script reads `.stacks[]` whatever the number of deploy files."""
    return json.dumps({"format_version": PLAN_FORMAT_VERSION,
                       "stacks": [plan_to_json(p) for p in plans]}, indent=2) + "\n"


def parse_plan_file(text: str, source: str = "plan file") -> list[Plan]:
    try:
        data = json.loads(text)
    except ValueError:
        raise PlanFileError(f"{source}: not a gitops-runner plan file (invalid JSON)") from None
    if not isinstance(data, dict):
        raise PlanFileError(f"{source}: not a gitops-runner plan file")
    if data.get("format_version") != PLAN_FORMAT_VERSION:
        raise PlanFileError(f"{source}: plan format {data.get('format_version')!r} is not "
                            f"{PLAN_FORMAT_VERSION}; re-run plan with this version")
    # Plan files written before one shape: a bare plan, or {"plans": [...]}.
    items: list[Any] = data.get("stacks") or data.get("plans") or [data]
    try:
        return [_plan_from(item) for item in items]
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{source}: malformed plan file ({type(exc).__name__}: {exc})") from None


def _action_from(raw: dict[str, Any]) -> PlanAction:
    if raw["action"] not in ACTION_KINDS:
        raise ValueError(f"unknown action {raw['action']!r}")
    if "changes" not in raw:
        # Written before changes were data: its reasons are all there is to show.
        return PlanAction(raw["pod"], raw["action"], notes=tuple(raw["reasons"]),
                          before=raw.get("before"), after=raw.get("after"))
    return PlanAction(
        raw["pod"], raw["action"],
        changes=tuple(FieldChange.from_json(c) for c in raw["changes"]),
        notes=tuple(raw.get("notes", [])), before=raw.get("before"), after=raw.get("after"),
        destroys=tuple(Destroyed.from_json(d) for d in raw.get("destroys", [])),
        moved_from=raw.get("moved_from"))


def _plan_from(item: dict[str, Any]) -> Plan:
    actions = [_action_from(raw) for raw in item["actions"]]
    plan = Plan(
        project=item["stack"]["project"], environment=item["stack"]["environment"],
        lineage=item["state"]["lineage"], serial=int(item["state"]["serial"]),
        observed_fingerprint=item["observed_fingerprint"], actions=tuple(actions),
        unchanged=tuple(item.get("unchanged", [])),
        cost_before=float(item["cost"]["before"]), cost_after=float(item["cost"]["after"]),
        violations=tuple(item["guardrail_violations"]), warnings=tuple(item["warnings"]),
        violation_details=tuple(Violation.from_json(v)
                                for v in item.get("violation_details", [])),
        notes=tuple(item.get("notes", [])),
        monthly_before=float(item["cost"].get("monthly_before", 0.0)),
        monthly_after=float(item["cost"].get("monthly_after", 0.0)),
        monthly_without_schedule=float(item["cost"].get("monthly_without_schedule", 0.0)),
        # Absent from plan files written before it was recorded: apply then needs -c.
        deploy_files=tuple(str(f) for f in item.get("deploy_files", [])),
        landings=tuple(Landing(str(raw["pod"]), raw.get("gpu"), raw.get("data_center"),
                               raw.get("stock"), not raw.get("predicted", True))
                       for raw in item.get("placements", [])),
        volume_actions=tuple(VolumeAction.from_json(v) for v in item.get("volume_actions", [])),
        endpoint_actions=tuple(EndpointAction.from_json(a)
                               for a in item.get("endpoint_actions", [])),
        endpoints_unchanged=tuple(str(c["endpoint"]) for c in item.get("endpoints", [])
                                  if c.get("unchanged")),
        endpoint_costs=tuple(EndpointCost(str(c["endpoint"]), c.get("min_workers"),
                                          c.get("max_workers"))
                             for c in item.get("endpoints", [])),
        stack_changes=tuple(FieldChange.from_json(c) for c in item.get("stack_changes", [])),
    )
    legacy = any("changes" not in raw for raw in item["actions"])
    expected = legacy_fingerprint(item["actions"]) if legacy else plan.fingerprint
    if expected != item["fingerprint"]:
        raise ValueError("fingerprint does not match the actions (edited by hand?)")
    return plan
