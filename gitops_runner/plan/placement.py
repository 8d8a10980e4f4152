"""Where each new pod will likely land (CONTRACT §13), from the catalog's stock.

For each create or replace, in plan order: the first candidate GPU × data center whose
estimated free GPUs (plan/catalog.py: a level's floor) still cover the pod's count; the
pods before it use that stock up. This is RunPod's placement as the simulator models it
(candidates in order, data centers in the catalog's order). The catalog "is not a
reservation" (RUNPOD.md §1.6): stock can move before apply, so it is a prediction, kept
out of the plan's fingerprint. The levels are read for one GPU per pod (the request's
default `count`), so a multi-GPU pod's prediction counts its GPUs against a level that
may come from single free GPUs on several machines: optimistic for large pods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gitops_runner.plan.catalog import STOCK_FLOOR, GpuCatalog, GpuType
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.model import PlanAction

PLACED_KINDS = ("create", "replace")


@dataclass(frozen=True)
class Landing:
    """Where `pod` will likely land: gpu and data_center with the stock level there, or
    none of them when no candidate has stock now (`unknown`: the catalog's stock was read
    for another cloud, so nothing is predicted)."""

    pod: str
    gpu: str | None = None
    data_center: str | None = None
    level: str | None = None
    unknown: bool = False

    @property
    def has_stock(self) -> bool:
        return self.data_center is not None

    def describe(self) -> str:
        if self.unknown:
            return "placement not predicted (stock read for another cloud)"
        if self.data_center is None:
            return "no stock now on any candidate"
        return f"likely {self.data_center} on {self.gpu} (stock {self.level})"

    def to_json(self) -> dict[str, Any]:
        return {"pod": self.pod, "gpu": self.gpu, "data_center": self.data_center,
                "stock": self.level, "predicted": not self.unknown}


def _stock(catalog: GpuCatalog) -> dict[tuple[str, str], int]:
    return {(g.id, dc): STOCK_FLOOR[level] for g in catalog.gpus.values()
            for dc, level in g.data_centers}


def _cuda_ok(gpu: GpuType, min_cuda: str | None) -> bool:
    """With a CUDA floor, some version at or above it must have free capacity (the
    catalog tells CUDA per GPU type, not per data center)."""
    if not min_cuda or not gpu.cuda_versions:
        return True
    floor = tuple(int(p) for p in min_cuda.split("."))
    return any(ok and tuple(int(p) for p in v.split(".")) >= floor
               for v, ok in gpu.cuda_versions)


def _land(want: DesiredPod, catalog: GpuCatalog, stock: dict[tuple[str, str], int],
          pod: str) -> Landing:
    count = int(want.public_body["gpu"]["count"])
    allowed = want.public_body.get("dataCenterIds") or []
    for gpu_id in want.candidates:
        gpu = catalog.get(gpu_id)
        if gpu is None or not _cuda_ok(gpu, want.public_body["gpu"].get("minCudaVersion")):
            continue
        for dc, level in gpu.data_centers:
            if allowed and dc not in allowed:
                continue
            if stock.get((gpu_id, dc), 0) >= count:
                stock[(gpu_id, dc)] -= count
                return Landing(pod, gpu_id, dc, level)
    return Landing(pod)


def predict(actions: Sequence[PlanAction], catalog: GpuCatalog
            ) -> tuple[tuple[Landing, ...], list[str], list[str]]:
    """A Landing per create or replace; one warning per GPU type whose new pods do not
    all find stock ("680 of 1000 new pods ... have no stock now"); and notes."""
    if not catalog.has_stock:
        return (), [], []
    stock = _stock(catalog)
    landings: list[Landing] = []
    asked: dict[str, int] = {}
    short: dict[str, int] = {}
    for action in actions:
        want = action.desired
        if action.action not in PLACED_KINDS or want is None:
            continue
        if want.public_body["cloud"] != catalog.stock_cloud:
            landings.append(Landing(action.pod, unknown=True))
            continue
        landing = _land(want, catalog, stock, action.pod)
        landings.append(landing)
        asked[want.candidates[0]] = asked.get(want.candidates[0], 0) + 1
        if not landing.has_stock:
            short[want.candidates[0]] = short.get(want.candidates[0], 0) + 1
    warnings = [f"{n} of {asked[gpu]} new pods asking for {gpu} (or their fallbacks) have no "
                "stock now on RunPod's catalog; apply would fail them for capacity. Add "
                "fallback GPUs or data centers, or fewer replicas" for gpu, n in sorted(short.items())]
    others = sum(1 for land in landings if land.unknown)
    notes = [f"{others} new pod(s) use a cloud other than {catalog.stock_cloud}, whose stock "
             "this plan did not read (one catalog request reads one cloud): their placement "
             "is not predicted"] if others else []
    return tuple(landings), warnings, notes


def any_stock(want: DesiredPod, catalog: GpuCatalog) -> bool:
    """Whether any candidate GPU × allowed data center shows stock in `catalog` now (to
    tell a refusal for stock from one for the request, whatever RunPod's wording)."""
    return _land(want, catalog, _stock(catalog), want.logical).has_stock
