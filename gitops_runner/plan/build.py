"""make_plan: the one entry point of the pure core."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.plan import guardrails, monthly, placement, power
from gitops_runner.plan.catalog import GpuCatalog, unknown_data_centers
from gitops_runner.plan.cost import PriceBook, hourly_after
from gitops_runner.plan.desired import DesiredPod, desired_pods
from gitops_runner.plan.diff import diff
from gitops_runner.plan.endpoint_plan import plan_endpoints
from gitops_runner.plan.endpoints import ServerlessView
from gitops_runner.plan.identity import sha256_of
from gitops_runner.plan.model import Plan
from gitops_runner.plan.moved import moved_kind_problems
from gitops_runner.plan.network_volumes import bind_volume_ids, narrowing_notes, plan_volumes
from gitops_runner.plan.observed import (
    Ownership,
    lineage_warnings,
    observed_fingerprint,
    parse_pod,
    split_ownership,
)
from gitops_runner.plan.records import stack_changes
from gitops_runner.plan.startable import endpoint_warnings, pod_warnings
from gitops_runner.plan.statefile import StateDoc


def ownership_of(stack: Stack, desired: list[DesiredPod], observed: Iterable[Mapping[str, Any]],
                 state: StateDoc | None = None) -> Ownership:
    recorded = {r.id: name for name, r in state.pods.items()} if state else {}
    return split_ownership(stack.name, (parse_pod(p) for p in observed),
                           (d.runpod_name for d in desired), recorded,
                           state.unmanaged if state else None,
                           state.lineage if state else None)


def _ownership_warnings(ownership: Ownership) -> list[str]:
    """Pods that look like ours but are not: left alone, and said so."""
    return [
        f"pod {p.id} is named {p.name!r} like a pod of this stack but has no gitops-runner "
        "markers; it is left alone (delete or rename it, or import it with "
        f"'state import')" for p in ownership.unmarked_name_matches
    ] + [f"pod {p.id} is recorded in state but carries the markers of stack "
         f"{p.stack}: it is not ours and is left alone" for p in ownership.foreign
         ] + lineage_warnings(ownership)


def _unmanaged_notes(ownership: Ownership, state: StateDoc) -> list[str]:
    return [f"pod {p.id} ({state.unmanaged[p.id]}) is unmanaged since 'state rm': left alone "
            f"until 'state import {state.unmanaged[p.id]} {p.id}'" for p in ownership.unmanaged]


def make_plan(stack: Stack, state: StateDoc, observed: Iterable[Mapping[str, Any]],
              catalog: Iterable[Mapping[str, Any]], secrets: Mapping[str, str],
              now: datetime, stock_cloud: str | None = None,
              volumes: Iterable[Mapping[str, Any]] = (), *,
              serverless: ServerlessView | None = None) -> Plan:
    """`stock_cloud`: the cloud the catalog's availability was read for (RunPod's
    default, SECURE, when it has availability and this is not given); `volumes`: RunPod's
    network volumes (needed only when the stack or its state has any); `serverless`:
    RunPod's templates and endpoints, when the stack has (or had) endpoints (§14)."""
    # Network volumes (CONTRACT §14): their own actions; pods learn the volumes' ids.
    vplan = plan_volumes(stack, state, volumes)
    desired = bind_volume_ids(desired_pods(stack), vplan.ids)
    ownership = ownership_of(stack, desired, observed, state)
    catalog = list(catalog)
    gpus = GpuCatalog.from_raw(catalog, stock_cloud)
    prices = PriceBook.from_catalog(catalog)
    result = diff(desired, state, ownership, secrets, prices, now, stack.guardrails.ttl_hours,
                  stack.moved)
    cost_before = sum(p.cost for group in ownership.ours.values() for p in group)
    cost_after = result.unchanged_cost + sum(hourly_after(a) for a in result.actions)
    warnings = _ownership_warnings(ownership)
    month = monthly.project(desired, ownership.ours, prices, state)
    notes = [*result.notes, *power.notes(desired, state, ownership.ours), *month.notes,
             *_unmanaged_notes(ownership, state)]
    notes += narrowing_notes(desired)  # CONTRACT §14: where a pod with a volume may go
    warnings += [w for spec in stack.pods for w in pod_warnings(spec)] + list(vplan.warnings)
    warnings += [w for spec in stack.endpoints for w in endpoint_warnings(spec)]
    warnings += unknown_data_centers(stack, gpus)  # a typo the schema's pattern lets through
    landings, stock_warnings, stock_notes = placement.predict(result.actions, gpus)
    warnings += stock_warnings
    notes += stock_notes
    # Endpoints (CONTRACT §14) are their own flow: plan/endpoint_plan.py.
    eps = plan_endpoints(stack, state, serverless, catalog, secrets, result.actions)
    warnings += eps.warnings
    pods_seen = observed_fingerprint(ownership.ours)
    checked = guardrails.check(stack.guardrails, desired, result.actions, prices,
                               gpus if catalog else None, vplan.monthly_after, eps.max_hourly,
                               eps.min_hourly)
    checked += [*vplan.guardrails, *eps.guardrails]
    return Plan(
        project=stack.project, environment=stack.environment, lineage=state.lineage,
        serial=state.serial, observed_fingerprint=(
            sha256_of([pods_seen, vplan.observed_fingerprint]) if vplan.observed_fingerprint
            else pods_seen),
        actions=tuple(result.actions), unchanged=tuple(result.unchanged),
        cost_before=round(cost_before, 4), cost_after=round(cost_after, 4),
        violations=tuple([*result.errors, *moved_kind_problems(stack, state), *vplan.violations,
                          *eps.errors, *(str(v) for v in checked)]),
        violation_details=tuple(checked),
        warnings=tuple(warnings), notes=tuple(notes),
        monthly_before=round(month.before + vplan.monthly_before, 2),
        monthly_after=round(month.after + vplan.monthly_after, 2),
        monthly_without_schedule=round(month.without_schedule + vplan.monthly_after, 2),
        deploy_files=(stack.file,), landings=landings, volume_actions=vplan.actions,
        endpoint_actions=eps.actions, endpoints_unchanged=eps.unchanged,
        endpoint_costs=eps.costs, stack_changes=tuple(stack_changes(state, stack)),
    )
