"""The simulator's GPU catalog: the packaged snapshot's GPU types (prices per GPU per
hour), its data centers with their host CUDA, and stock per (GPU, data center, cloud).

`GET /v2/catalog/gpus?include=AVAILABILITY&product=POD` answers from the same stock
that creates consume (RUNPOD.md §1.6 and §8b "Catalog"; spec `listGpuTypes`), so what
the plan predicts from the catalog is what apply meets.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gitops_runner.config.gpu_ids import snapshot_gpus
from gitops_runner.plan.catalog import level_for

# (data center, host CUDA version)
DATA_CENTERS: list[tuple[str, str]] = [
    ("EU-RO-1", "12.8"),
    ("US-TX-3", "12.4"),
    ("CA-MTL-1", "12.6"),
    ("US-GA-2", "12.8"),
    # CUDA 13 hosts are still rare (RUNPOD.md §8c): one data center has them.
    ("US-KS-2", "13.0"),
]
DATA_CENTER_NAMES = {"EU-RO-1": "Europe Romania 1", "US-TX-3": "US Texas 3",
                     "CA-MTL-1": "Canada Montreal 1", "US-GA-2": "US Georgia 2",
                     "US-KS-2": "US Kansas 2"}

# Serverless flex $/h per GPU by pool (runpod.io/serverless-gpu pricing, per second x 3600,
# approximate); the catalog answers it as price.serverless, "from the pool this GPU belongs
# to" (GpuType in the v2 spec). Pools are the snapshot's `pool`.
SERVERLESS_PRICES: dict[str, float] = {
    "AMPERE_16": 0.58, "AMPERE_24": 0.68, "ADA_24": 1.12, "BLACKWELL_32": 1.58,
    "AMPERE_48": 1.22, "ADA_48_PRO": 1.91, "AMPERE_80": 2.72, "HOPPER_141": 4.18,
    "BLACKWELL_180": 8.64,
}

DEFAULT_CAPACITY = 64  # free GPUs per (gpu, data center, cloud): HIGH stock
# The sandbox's list is the product's snapshot, so validate and the sandbox agree.
TYPES: list[dict[str, Any]] = snapshot_gpus()
_BY_ID = {g["id"]: g for g in TYPES}
# (id, short name, VRAM GB, secure $/h, community $/h, max count), as before the snapshot.
GPUS: list[tuple[str, str, int, float, float, int]] = [
    (g["id"], g["name"], g["memory"], g["price"]["secure"], g["price"]["community"],
     max(g["maxCount"].values())) for g in TYPES]


def default_capacity() -> dict[str, int]:
    """Stock for every GPU type in every data center, on the clouds that offer it (a new
    dict each time: every world and every load of one starts from it)."""
    return dict(_default_capacity())


def default_stock() -> Mapping[str, int]:
    """The default stock, shared and read-only: for comparing, not for a world to keep."""
    return MappingProxyType(_default_capacity())


@functools.cache
def _default_capacity() -> dict[str, int]:
    return {capacity_key(g["id"], dc, cloud): DEFAULT_CAPACITY
            for g in TYPES for dc, _ in DATA_CENTERS for cloud in ("SECURE", "COMMUNITY")
            if g.get(cloud.lower())}


def capacity_key(gpu_id: str, dc: str, cloud: str) -> str:
    return f"{gpu_id}|{dc}|{cloud}"


def host_cuda(dc: str) -> str:
    return dict(DATA_CENTERS).get(dc, "12.4")


def memory_gb(gpu_id: str) -> float:
    """GPU memory per GPU (catalog `memory`); an unknown id counts as 24 GB."""
    return float(next((g[2] for g in GPUS if g[0] == gpu_id), 24))


def price(gpu_id: str, cloud: str) -> float | None:
    gpu = _BY_ID.get(gpu_id)
    if gpu is None or not gpu.get(cloud.lower()):
        return None
    return float(gpu["price"][cloud.lower()])


@functools.cache  # a handful of CUDA versions, compared on every catalog answer
def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def cuda_allowed(cuda: str, min_cuda: str | None, exact: list[str]) -> bool:
    if min_cuda and _version(cuda) < _version(min_cuda):
        return False
    return not exact or cuda in exact


def _availability(gpu: dict[str, Any], stock: Mapping[str, int], cloud: str, count: int,
                  min_cuda: str | None, exact: list[str]) -> dict[str, Any]:
    """availability, dataCenters and cudaVersions for one type (spec `GpuType`): only
    data centers that offer it in this configuration, a level per data center from its
    free GPUs (NONE when fewer than `count`), the overall level from their sum."""
    dcs: list[dict[str, Any]] = []
    free_total = 0
    cuda_free: dict[str, bool] = {}
    for dc, cuda in DATA_CENTERS:
        key = capacity_key(gpu["id"], dc, cloud)
        if key not in stock or not cuda_allowed(cuda, min_cuda, exact):
            continue
        free = stock[key] if stock[key] >= count else 0
        free_total += free
        cuda_free[cuda] = cuda_free.get(cuda, False) or free > 0
        dcs.append({"id": dc, "name": DATA_CENTER_NAMES.get(dc, dc), "availability":
                    level_for(free)})
    out: dict[str, Any] = {"availability": level_for(free_total)}
    if dcs:  # "omitted entirely when the configuration is unavailable everywhere"
        out["dataCenters"] = dcs
    if cuda_free and gpu.get("manufacturer") != "AMD":  # AMD hosts report no CUDA
        out["cudaVersions"] = [{"version": v, "available": ok}
                               for v, ok in sorted(cuda_free.items(), key=lambda i: _version(i[0]))]
    return out


def serverless_pools() -> dict[str, str]:
    """GPU id -> serverless pool, for the types in one."""
    return {g["id"]: g["pool"] for g in TYPES if g.get("pool")}


def _price(gpu: dict[str, Any]) -> dict[str, Any]:
    pool = gpu.get("pool")
    extra = {"serverless": SERVERLESS_PRICES[pool]} if pool in SERVERLESS_PRICES else {}
    return {**gpu["price"], **extra}


def gpu_types(stock: Mapping[str, int] | None = None, query: Mapping[str, str] | None = None
              ) -> list[dict[str, Any]]:
    """The catalog's `gpus`; with `stock` (include=AVAILABILITY) also the availability
    for the query's `cloud` (default SECURE), `count`, and CUDA filter."""
    query = query or {}
    out = [{**{k: g[k] for k in ("id", "name", "pool", "manufacturer", "memory", "secure",
                                 "community", "maxCount")}, "price": _price(g)} for g in TYPES]
    if stock is None:
        return out
    cloud = query.get("cloud", "SECURE")
    count = int(query.get("count", "1"))
    exact = [v for v in query.get("cudaVersions", "").split(",") if v]
    for entry, gpu in zip(out, TYPES, strict=True):
        entry.update(_availability(gpu, stock, cloud, count, query.get("minCudaVersion"), exact))
    return out
