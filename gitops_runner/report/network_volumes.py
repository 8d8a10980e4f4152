"""Network volume actions of a plan (CONTRACT §14) as text and markdown lines."""

from __future__ import annotations

from typing import Any

from gitops_runner.plan.model import Plan
from gitops_runner.plan.network_volumes import VolumeAction

SYMBOLS = {"move": "~", "create": "+", "grow": "~", "delete": "-"}


def headline(a: VolumeAction) -> str:
    size = (f"{a.size_after} GB" if a.action == "create" else
            f"{a.size_before} -> {a.size_after} GB" if a.action == "grow" else
            f"{a.size_before} GB")
    what = {"move": "move (PATCH name, in place)", "create": "create",
            "grow": "grow (PATCH size, in place)", "delete": "delete"}
    name = a.volume + (f" (moved from {a.moved_from})" if a.moved_from else "")
    runpod = (f"{a.old_runpod_name} -> {a.runpod_name}" if a.old_runpod_name
              else a.runpod_name)
    return f"volume {name} [{a.data_center}]  {what[a.action]}  {size}  ({runpod})"


def detail_lines(a: VolumeAction) -> list[str]:
    lines = list(a.reasons)
    lines += [f"destroys: {d['kind']} {d['name']} {d['size_gb']} GB in {d['data_center']}"
              for d in a.destroys]
    return lines


def text_lines(plan: Plan) -> list[str]:
    lines = []
    for a in plan.volume_actions:
        lines.append(f"  {SYMBOLS[a.action]} {headline(a)}")
        lines.extend(f"      {line}" for line in detail_lines(a))
    return lines


def summary(plan: Plan) -> str:
    """' Volumes: 1 to create, 1 to grow.' or ''."""
    parts = [f"{n} to {kind}" for kind in ("move", "create", "grow", "delete")
             if (n := sum(1 for a in plan.volume_actions if a.action == kind))]
    return f" Volumes: {', '.join(parts)}." if parts else ""


def markdown_lines(plan: Plan) -> list[str]:
    """Lines inside the plan's ```diff block."""
    out = []
    for a in plan.volume_actions:
        symbol = {"move": "!", "create": "+", "grow": "!", "delete": "-"}[a.action]
        out.append(f"{symbol} {headline(a)}".replace("```", ""))
        out.extend(f"#     {line}".replace("```", "") for line in detail_lines(a))
    return out


def volume_status_text(rows: list[dict[str, Any]]) -> str:
    """`status` lines of a stack's network volumes ('' when it has none)."""
    lines = [f"\n  volume {r['volume']:<9} {r['data_center'] or '-':<9} {r['status']:<12} "
             f"{r['id'] or '-':<12} {str(r['size_gb']) + ' GB' if r['size_gb'] else '-'}"
             for r in rows]
    return "".join(lines)
