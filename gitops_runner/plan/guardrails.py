"""Guardrails (CONTRACT §4): limits a plan must respect, each violation data (rule, limit,
value) whose sentence is rendered from it.

Limits a deploy file can break by itself (max_pods, max_gpus, allowed_gpu_types)
are checked once, by config.semantic, with the file's line and column; the ones
here need the catalog or the plan's actions.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.config.gpu_ids import closest_ids, did_you_mean
from gitops_runner.config.model import Guardrails
from gitops_runner.plan import monthly, rates
from gitops_runner.plan.catalog import GpuCatalog
from gitops_runner.plan.changes import Violation
from gitops_runner.plan.cost import PriceBook
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.model import PlanAction


def catalog_problems(desired: Sequence[DesiredPod], catalog: GpuCatalog) -> list[str]:
    """Against the live catalog: each id exists (else the closest ids), the pod's cloud
    offers it, and gpu.count is at most its maxCount there (spec `GpuType.maxCount`)."""
    problems: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    for d in desired:
        cloud, count = d.public_body["cloud"], int(d.public_body["gpu"]["count"])
        for gpu_id in d.candidates:
            if (gpu_id, cloud, count) in seen:
                continue
            seen.add((gpu_id, cloud, count))
            gpu = catalog.get(gpu_id)
            if gpu is None:
                problems.append(f"gpu '{gpu_id}' is not in RunPod's GPU catalog; "
                                + did_you_mean(closest_ids(gpu_id, catalog.entries())))
            elif not gpu.offers(cloud):
                problems.append(f"gpu '{gpu_id}' is not offered on the {cloud} cloud; set "
                                f"cloud_type to {'COMMUNITY' if cloud == 'SECURE' else 'SECURE'}"
                                " or pick another GPU")
            elif count > gpu.max_count.get(cloud, count):
                problems.append(f"gpu '{gpu_id}': gpu.count {count} is over RunPod's maxCount of "
                                f"{gpu.max_count[cloud]} on the {cloud} cloud (one pod is one "
                                "machine); lower gpu.count")
    return problems


def check(guard: Guardrails, desired: Sequence[DesiredPod], actions: Sequence[PlanAction],
          prices: PriceBook, catalog: GpuCatalog | None = None,
          volumes_monthly: float = 0.0, endpoints_max: float = 0.0,
          endpoints_min: float = 0.0) -> list[Violation]:
    """`volumes_monthly`: the stack's network volumes per 30 days (plan/network_volumes.py);
    `endpoints_max`, `endpoints_min`: its serverless endpoints per hour at max and at min
    workers (plan/endpoint_plan.py). The hour counts max, the worst case, as fallback GPUs
    are for pods (CONTRACT §14); the month counts min: those workers run all month
    whatever the traffic, while a month at max is a flood the hourly cap already bounds."""
    if catalog is not None:
        found = catalog_problems(desired, catalog)
    else:
        unknown = sorted({g for d in desired for g in d.candidates if not prices.knows(g)})
        found = [f"gpu '{gpu}' is not in RunPod's GPU catalog; `gitops-runner gpus` "
                 "lists every id" for gpu in unknown]
    violations = [Violation("gpu_catalog", None, None, text) for text in found]
    return (violations + _costs(guard, desired, prices, volumes_monthly, endpoints_max,
                                endpoints_min) + _deletes(guard, actions))


def _costs(guard: Guardrails, desired: Sequence[DesiredPod], prices: PriceBook,
           volumes_monthly: float, endpoints_max: float,
           endpoints_min: float) -> list[Violation]:
    violations: list[Violation] = []
    if guard.max_hourly_cost is not None:
        worst = endpoints_max + sum(prices.worst_case(
            d.candidates, d.public_body["gpu"]["count"], d.public_body["cloud"]) or 0.0
            for d in desired)
        with_endpoints = (f", endpoints at max workers: ${endpoints_max:.2f}/h"
                          if endpoints_max else "")
        if worst > guard.max_hourly_cost + 1e-9:
            violations.append(Violation(
                "max_hourly_cost", guard.max_hourly_cost, round(worst, 4),
                f"max_hourly_cost: the stack may cost up to ${worst:.2f}/h (dearest candidate "
                f"GPU for each pod{with_endpoints}), over the limit of "
                f"${guard.max_hourly_cost:.2f}/h"))
    if guard.max_monthly_cost is not None:
        month = (monthly.worst_case(desired, prices, volumes_monthly)
                 + endpoints_min * rates.HOURS_PER_MONTH)
        with_endpoints = ", endpoints' min workers all month" if endpoints_min else ""
        if month > guard.max_monthly_cost + 1e-9:
            violations.append(Violation(
                "max_monthly_cost", guard.max_monthly_cost, round(month, 2),
                "max_monthly_cost: worst case over fallback GPUs, the stack may cost up to "
                f"${month:,.2f} per 30 days (GPU hours inside the running windows at each "
                f"pod's dearest candidate GPU, plus storage{with_endpoints}), over the limit "
                f"of ${guard.max_monthly_cost:,.2f}"))
    return violations


def _deletes(guard: Guardrails, actions: Sequence[PlanAction]) -> list[Violation]:
    violations: list[Violation] = []
    terminating = [a for a in actions if a.terminates and not a.duplicate]
    if terminating and not guard.allow_delete:
        names = ", ".join(f"{a.pod} ({a.action})" for a in terminating)
        violations.append(Violation(
            "allow_delete", False, [a.pod for a in terminating],
            f"allow_delete is false, but this plan terminates pods: {names}. "
            "Set guardrails.allow_delete: true to allow it"))
    losing = [a for a in actions if a.destroys and a.terminates and not a.duplicate]
    if losing and not guard.allow_data_loss:
        names = "; ".join(f"{a.pod} ({a.action}): " + ", ".join(
            d.describe().removeprefix("destroys: ") for d in a.destroys) for a in losing)
        violations.append(Violation(
            "allow_data_loss", False, [a.pod for a in losing],
            f"allow_data_loss is false, but this plan destroys data: {names}. "
            "Set guardrails.allow_data_loss: true to allow it (and "
            "allow_delete: true), or keep the pod"))
    if guard.max_deletes is not None and len(terminating) > guard.max_deletes:
        violations.append(Violation(
            "max_deletes", guard.max_deletes, len(terminating),
            f"max_deletes: this plan terminates {len(terminating)} pods, over "
            f"the limit of {guard.max_deletes}"))
    return violations
