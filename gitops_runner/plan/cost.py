"""Prices from RunPod's v2 GPU catalog: USD per GPU per hour, by cloud."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


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
