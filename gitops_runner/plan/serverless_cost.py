"""Serverless prices from the v2 GPU catalog: a GPU's `pool` and its `price.serverless`
(USD per GPU per hour, "from the pool this GPU belongs to"; GpuType, runpod-openapi-v2.json).

An endpoint's worker may land on any GPU of its pools not excluded, so its price is
the dearest of them (worst case, like fallback GPUs for pods) × gpu.count (CONTRACT §14).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.config.endpoints import EndpointSpec


@dataclass(frozen=True)
class ServerlessPrices:
    # GPU id -> (pool, serverless $/h per GPU or None)
    gpus: Mapping[str, tuple[str, float | None]] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, catalog: Iterable[Mapping[str, Any]]) -> ServerlessPrices:
        gpus: dict[str, tuple[str, float | None]] = {}
        for gpu in catalog:
            pool, price = gpu.get("pool"), (gpu.get("price") or {}).get("serverless")
            if isinstance(pool, str) and gpu.get("id"):
                gpus[str(gpu["id"])] = (pool, float(price) if isinstance(price, int | float)
                                        else None)
        return cls(gpus)

    def pools(self) -> set[str]:
        return {pool for pool, _ in self.gpus.values()}

    def selection(self, spec: EndpointSpec) -> list[str]:
        """GPU ids a worker may run on: the pools minus the excluded types."""
        excluded = {t.strip() for t in spec.gpu.exclude}
        return sorted(g for g, (pool, _) in self.gpus.items()
                      if pool in spec.gpu.pools and g not in excluded)

    def worker_price(self, spec: EndpointSpec) -> float | None:
        known = [p for g in self.selection(spec) if (p := self.gpus[g][1]) is not None]
        return round(max(known) * spec.gpu.count, 4) if known else None

    def bounds(self, spec: EndpointSpec) -> tuple[float | None, float | None]:
        price = self.worker_price(spec)
        if price is None:
            return None, None
        return round(price * spec.workers.min, 4), round(price * spec.workers.max, 4)
