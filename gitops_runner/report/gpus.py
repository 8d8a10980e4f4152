"""`gpus` as a table (text) or JSON (schemas/reports/gpus.schema.json)."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.plan.catalog import GpuType
from gitops_runner.report.jsonreport import dump


def _price(gpu: GpuType, cloud: str) -> str:
    value = gpu.price.get(cloud)
    return "-" if value is None else f"{value:.2f}"


def _cuda(gpu: GpuType) -> str:
    # A version offered but full right now is shown in brackets.
    return " ".join(v if ok else f"({v})" for v, ok in gpu.cuda_versions) or "-"


def gpus_text(gpus: Sequence[GpuType], cloud: str, count: int) -> str:
    if not gpus:
        return "No GPU type matches."
    header = (f"{'ID':<46} {'NAME':<16} {'MEM':>5} {'SECURE':>7} {'COMMUN.':>7} {'MAX':>4}  "
              f"STOCK ({cloud}, x{count})")
    lines = [header]
    for g in gpus:
        stock = ", ".join(f"{dc} {level}" for dc, level in g.data_centers) or "none"
        lines.append(f"{g.id:<46} {g.name:<16} {g.memory:>3}GB {_price(g, 'SECURE'):>7} "
                     f"{_price(g, 'COMMUNITY'):>7} {max(g.max_count.values(), default=0):>4}  "
                     f"{g.availability or '-'}: {stock}")
        lines.append(f"{'':<46} CUDA {_cuda(g)}")
    lines.append(f"{len(gpus)} GPU type(s); $/h per GPU; stock levels for {cloud} pods of "
                 f"{count} GPU(s), not a reservation. Use the ID in gpu.type.")
    return "\n".join(lines)


def gpus_json(gpus: Sequence[GpuType], cloud: str, count: int) -> str:
    return dump({"cloud": cloud, "count": count, "gpus": [g.to_json() for g in gpus]})
