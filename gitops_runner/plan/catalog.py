"""RunPod's GPU catalog as data: `GET /v2/catalog/gpus?include=AVAILABILITY&product=POD`
(RUNPOD.md §1.6, spec `GpuType`), read once per plan.

Stock comes as levels (NONE LOW MEDIUM HIGH), overall and per data center, never as
counts. To say how many pods will find stock, each level stands for the fewest free
GPUs it can mean (`STOCK_FLOOR`): a conservative estimate, so a plan warns rather than
promises. RunPod publishes no thresholds (UNCERTAIN); the simulator reports levels
from its own counts with these same floors, so the sandbox's prediction is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_runner.config.model import Stack

LEVELS = ("NONE", "LOW", "MEDIUM", "HIGH")
# Free GPUs a level stands for at least: LOW is "some", HIGH a data center's worth.
STOCK_FLOOR = {"NONE": 0, "LOW": 1, "MEDIUM": 8, "HIGH": 64}
CLOUDS = ("SECURE", "COMMUNITY")


def level_for(free_gpus: int) -> str:
    """The level whose floor `free_gpus` reaches (how the simulator reports its stock)."""
    best = "NONE"
    for level in LEVELS:
        if free_gpus >= STOCK_FLOOR[level]:
            best = level
    return best


@dataclass(frozen=True)
class GpuType:
    id: str
    name: str
    memory: int
    manufacturer: str
    price: Mapping[str, float]  # cloud -> USD per GPU per hour, offered clouds only
    max_count: Mapping[str, int]  # cloud -> most GPUs one pod may have
    availability: str | None = None  # overall level; None when not asked for
    data_centers: tuple[tuple[str, str], ...] = ()  # (data center id, level), catalog order
    cuda_versions: tuple[tuple[str, bool], ...] = ()  # (version, has free capacity now)

    def offers(self, cloud: str) -> bool:
        return cloud in self.price

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "memory_gb": self.memory,
                "manufacturer": self.manufacturer,
                "price_per_hour": {c.lower(): self.price.get(c) for c in CLOUDS},
                "max_count": {c.lower(): self.max_count.get(c, 0) for c in CLOUDS},
                "availability": self.availability,
                "data_centers": [{"id": dc, "availability": level}
                                 for dc, level in self.data_centers],
                "cuda_versions": [{"version": v, "available": ok}
                                  for v, ok in self.cuda_versions]}


def _level(value: Any) -> str | None:
    text = str(value).upper() if isinstance(value, str) else None
    return text if text in LEVELS else None


def parse_gpu(raw: Mapping[str, Any]) -> GpuType | None:
    """One catalog entry; None for an entry without an id. A cloud the type is not
    offered on (`secure`/`community` false) has no price, whatever `price` says."""
    if not isinstance(raw.get("id"), str) or not raw["id"]:
        return None
    price_raw: Mapping[str, Any] = raw["price"] if isinstance(raw.get("price"), Mapping) else {}
    count_raw: Mapping[str, Any] = (raw["maxCount"] if isinstance(raw.get("maxCount"), Mapping)
                                    else {})
    price: dict[str, float] = {}
    max_count: dict[str, int] = {}
    for cloud in CLOUDS:
        value = price_raw.get(cloud.lower())
        if raw.get(cloud.lower(), True) is not False and isinstance(value, int | float):
            price[cloud] = float(value)
        count = count_raw.get(cloud.lower())
        if isinstance(count, int):
            max_count[cloud] = count
    dcs = tuple((str(dc["id"]), _level(dc.get("availability")) or "NONE")
                for dc in raw.get("dataCenters") or [] if isinstance(dc, Mapping) and dc.get("id"))
    cuda = tuple((str(v["version"]), bool(v.get("available")))
                 for v in raw.get("cudaVersions") or [] if isinstance(v, Mapping)
                 and v.get("version"))
    memory = raw.get("memory")
    return GpuType(raw["id"], str(raw.get("name") or raw["id"]),
                   memory if isinstance(memory, int) else 0, str(raw.get("manufacturer") or ""),
                   price, max_count, _level(raw.get("availability")), dcs, cuda)


@dataclass(frozen=True)
class GpuCatalog:
    gpus: Mapping[str, GpuType]
    # The cloud the availability was read for (the request's `cloud`); None: no stock read.
    stock_cloud: str | None = None

    @classmethod
    def from_raw(cls, raw: Iterable[Mapping[str, Any]], stock_cloud: str | None = None
                 ) -> GpuCatalog:
        gpus = {g.id: g for g in (parse_gpu(r) for r in raw) if g is not None}
        # An answer without any availability (include ignored) says nothing about stock.
        has_stock = any(g.availability is not None for g in gpus.values())
        return cls(gpus, (stock_cloud or "SECURE") if has_stock else None)

    def get(self, gpu_id: str) -> GpuType | None:
        return self.gpus.get(gpu_id)

    @property
    def has_stock(self) -> bool:
        return self.stock_cloud is not None

    def entries(self) -> list[dict[str, Any]]:
        """Id and short name of each type, for closest-id suggestions."""
        return [{"id": g.id, "name": g.name} for g in self.gpus.values()]


def select(catalog: GpuCatalog, cloud: str | None = None, min_memory: int | None = None,
           count: int | None = None, available: bool = False) -> list[GpuType]:
    """The types `gitops-runner gpus` lists: offered on `cloud` (either, when None), with
    at least `min_memory` GB, taking `count` GPUs in one pod, with stock now when
    `available`; cheapest first."""
    clouds = (cloud,) if cloud else CLOUDS
    chosen = []
    for gpu in catalog.gpus.values():
        offered = [c for c in clouds if gpu.offers(c)
                   and (count is None or gpu.max_count.get(c, 0) >= count)]
        if not offered or (min_memory is not None and gpu.memory < min_memory):
            continue
        if available and gpu.availability in (None, "NONE"):
            continue
        chosen.append(gpu)
    return sorted(chosen, key=lambda g: (min(g.price[c] for c in clouds if c in g.price), g.id))


def unknown_data_centers(stack: Stack, catalog: GpuCatalog) -> list[str]:
    """Data centers the file names where the live catalog offers no GPU at all: a typo
    (`EU-RO-2`) that the schema's pattern lets through. Only when the catalog was read
    with availability (its per-data-center lists); RunPod answers 400 at apply instead."""
    known = {dc for g in catalog.gpus.values() for dc, _ in g.data_centers}
    if not catalog.has_stock or not known:
        return []
    named = [(f"pod {p.name}", dc) for p in stack.pods for dc in p.data_centers]
    named += [(f"volume {v.name}", dc) for v in stack.volumes for dc in v.data_centers]
    named += [(f"endpoint {e.name}", dc) for e in stack.endpoints for dc in e.data_centers]
    return [f"{who}: data center {dc} offers no GPU in RunPod's catalog (known: "
            f"{', '.join(sorted(known))}); nothing can be created there: check the spelling"
            for who, dc in named if dc not in known]
