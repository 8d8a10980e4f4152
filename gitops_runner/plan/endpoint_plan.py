"""Endpoints in a plan: desired vs observed, their cost bounds, their guardrails.

Called by plan/build.make_plan; kept apart so the pod flow reads as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_runner.config.model import Guardrails, Stack
from gitops_runner.plan.changes import Violation
from gitops_runner.plan.endpoint_diff import EndpointAction, EndpointCost, diff_endpoints
from gitops_runner.plan.endpoints import ServerlessView, desired_endpoints, owned
from gitops_runner.plan.model import PlanAction
from gitops_runner.plan.serverless_cost import ServerlessPrices
from gitops_runner.plan.statefile import StateDoc


@dataclass(frozen=True)
class EndpointPlan:
    actions: tuple[EndpointAction, ...] = ()
    unchanged: tuple[str, ...] = ()
    costs: tuple[EndpointCost, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # what RunPod would refuse
    guardrails: tuple[Violation, ...] = ()  # allowed_gpu_types, allow_delete, max_deletes

    @property
    def max_hourly(self) -> float:
        """Per hour at max workers: what max_hourly_cost counts (CONTRACT §14)."""
        return sum(c.max_workers or 0.0 for c in self.costs)

    @property
    def min_hourly(self) -> float:
        """Per hour at min workers, which run whatever the traffic: max_monthly_cost."""
        return sum(c.min_workers or 0.0 for c in self.costs)


def needs_serverless(stack: Stack, state: StateDoc | None) -> bool:
    """Whether RunPod's templates and endpoints must be read for this stack."""
    return bool(stack.endpoints) or bool(state is not None and state.endpoints)


def plan_endpoints(stack: Stack, state: StateDoc, view: ServerlessView | None,
                   catalog: Iterable[Mapping[str, Any]], secrets: Mapping[str, str],
                   pod_actions: Sequence[PlanAction]) -> EndpointPlan:
    if view is None or not needs_serverless(stack, state):
        return EndpointPlan()
    catalog = list(catalog)
    desired = desired_endpoints(stack, state.lineage)
    recorded: dict[str, str] = {}
    for name, rec in state.endpoints.items():
        if rec.template_id:  # "" while only the intent to create it is journaled
            recorded[rec.template_id] = name
        if rec.id:
            recorded[rec.id] = name
    ours = owned(view, stack.name, state.lineage, {d.runpod_name: d.name for d in desired},
                 recorded)
    prices = ServerlessPrices.from_catalog(catalog)
    result = diff_endpoints(desired, state, ours, secrets, prices)
    return EndpointPlan(tuple(result.actions), tuple(result.unchanged), tuple(result.costs),
                        tuple(result.warnings), tuple(_errors(stack, prices)),
                        tuple(_guardrails(stack, prices, pod_actions, result.actions)))


def _errors(stack: Stack, prices: ServerlessPrices) -> list[str]:
    out: list[str] = []
    for spec in stack.endpoints:
        unknown = sorted(set(spec.gpu.pools) - prices.pools()) if prices.gpus else []
        if unknown:
            out.append(f"endpoint {spec.name}: pool(s) {', '.join(unknown)} are not serverless "
                       "pools in RunPod's GPU catalog (the `pool` of GET /v2/catalog/gpus)")
        elif prices.gpus and not prices.selection(spec):
            out.append(f"endpoint {spec.name}: gpu.exclude leaves no GPU in pools "
                       f"{', '.join(spec.gpu.pools)}; RunPod rejects such a selection")
    return out


def _guardrails(stack: Stack, prices: ServerlessPrices, pod_actions: Sequence[PlanAction],
                actions: Sequence[EndpointAction]) -> list[Violation]:
    guard: Guardrails = stack.guardrails
    out: list[Violation] = []
    for spec in stack.endpoints:
        outside = [g for g in prices.selection(spec)
                   if guard.allowed_gpu_types and g not in guard.allowed_gpu_types]
        if outside:
            out.append(Violation("allowed_gpu_types", list(guard.allowed_gpu_types), outside,
                                 f"endpoint {spec.name}: workers may run on "
                                 f"{', '.join(outside)}, outside guardrails.allowed_gpu_types; "
                                 "add them to gpu.exclude"))
    deletes = [a for a in actions if a.action == "delete" and (a.endpoint_id or a.template_id)]
    if deletes and not guard.allow_delete:
        out.append(Violation("allow_delete", False, [a.endpoint for a in deletes],
                             "allow_delete is false, but this plan deletes endpoints: "
                             + ", ".join(a.endpoint for a in deletes)
                             + ". Set guardrails.allow_delete: true to allow it"))
    terminating = sum(1 for a in pod_actions if a.terminates and not a.duplicate)
    if (guard.max_deletes is not None and deletes
            and terminating + len(deletes) > guard.max_deletes):
        out.append(Violation("max_deletes", guard.max_deletes, terminating + len(deletes),
                             f"max_deletes: this plan deletes {terminating + len(deletes)} pods "
                             f"and endpoints, over the limit of {guard.max_deletes}"))
    return out


def endpoint_findings(stack: Stack, state: StateDoc,
                      view: ServerlessView | None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, class, reasons) for drift (CONTRACT §6, §14): `drift` when RunPod differs
    from what was applied, `pending` when the file differs from it."""
    plan = plan_endpoints(stack, state, view, (), {}, ())
    out = []
    for a in plan.actions:
        record = state.endpoints.get(a.endpoint)
        applied = (record is not None and a.desired is not None
                   and record.spec_hash == a.desired.spec_hash)
        kind = "drift" if applied or (a.action == "create" and record is not None
                                      and record.id is not None) else "pending"
        out.append((a.endpoint, kind, a.reasons))
    return out
