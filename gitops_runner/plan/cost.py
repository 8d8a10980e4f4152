"""Prices from RunPod's v2 GPU catalog: USD per GPU per hour, by cloud."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_runner.plan.model import PlanAction

# Statuses in which RunPod bills the GPU (plan/observed.ALIVE).
_BILLED = ("PROVISIONING", "STARTING", "RUNNING")


@dataclass(frozen=True)
class PriceBook:
    prices: Mapping[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, gpus: Iterable[Mapping[str, Any]]) -> PriceBook:
        prices: dict[tuple[str, str], float] = {}
        for gpu in gpus:
            price = gpu.get("price") or {}
            for cloud in ("secure", "community"):
                value = price.get(cloud)
                # A cloud that does not offer the type has no price, whatever `price` says.
                offered = gpu.get(cloud, True) is not False
                if offered and isinstance(value, int | float) and gpu.get("id"):
                    prices[(str(gpu["id"]), cloud.upper())] = float(value)
        return cls(prices)

    def knows(self, gpu_id: str) -> bool:
        return any(key[0] == gpu_id for key in self.prices)

    def pod_price(self, gpu_id: str, count: int, cloud: str) -> float | None:
        per_gpu = self.prices.get((gpu_id, cloud))
        return None if per_gpu is None else round(per_gpu * count, 4)

    def worst_case(self, candidates: Iterable[str], count: int, cloud: str) -> float | None:
        """The dearest candidate: what max_hourly_cost is checked against."""
        known = [p for p in (self.pod_price(g, count, cloud) for g in candidates) if p is not None]
        return max(known) if known else None


def hourly_after(action: PlanAction) -> float:
    """$/h of the pod once the action is done, counted as it will be after apply: a
    state-only change touches nothing (the pod costs what it costs now), a pod stopped
    once checked ready, or updated while stopped and not started, is $0/h."""
    if action.state_only:
        return action.cost_before
    if action.stop_after:
        return 0.0
    status = (action.before or {}).get("status")
    if action.action == "update" and not action.start and status is not None \
            and status not in _BILLED:
        return 0.0
    return action.cost_after
