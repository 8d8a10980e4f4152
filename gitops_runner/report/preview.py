"""Previews as text (the `preview list` command) and markdown (the pull request comment)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gitops_runner.plan.previews import LivePreview


def _age(hours: float | None) -> str:
    if hours is None:
        return "-"
    return f"{hours * 60:.0f}m" if hours < 1 else f"{hours:.1f}h"


def list_rows(previews: Sequence[LivePreview], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for p in previews:
        created, expires = p.created_at, p.expires_at
        rows.append({"preview": p.name, "stack": p.base.name if p.base else None,
                     "pull_request": p.number, "pods": len(p.pods), "cost_per_hour": p.cost,
                     "created_at": created.isoformat() if created else None,
                     "age_hours": None if created is None else round(p.age_hours(now) or 0, 2),
                     "ttl_hours": p.ttl_hours, "expires_at": expires.isoformat()
                     if expires else None, "expired": p.expired(now), "orphan": p.orphan})
    return rows


def list_text(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "No live previews."
    lines = [f"{'PREVIEW':<34} {'PR':>6} {'PODS':>4} {'AGE':>7} {'TTL':>6} {'$/H':>8}"]
    for r in rows:
        age = _age(r["age_hours"]) + (" (expired)" if r["expired"] else "")
        ttl = "-" if r["ttl_hours"] is None else f"{r['ttl_hours']:g}h"
        lines.append(f"{r['preview']:<34} {'#' + str(r['pull_request']):>6} {r['pods']:>4} "
                     f"{age:>7} {ttl:>6} {r['cost_per_hour']:>8.2f}"
                     + ("  ORPHAN: no deploy file produces it" if r["orphan"] else ""))
    lines.append(f"total ${sum(r['cost_per_hour'] for r in rows):.2f}/h")
    return "\n".join(lines)


def rows_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """Each preview pod: status, endpoints and health, as a table."""
    if not rows:
        return "_No pods._\n"
    lines = ["| pod | status | GPU | $/h | endpoints | health |", "|---|---|---|---|---|---|"]
    for r in rows:
        endpoints = "<br>".join(f"`{e}`" for e in r["endpoints"]) or "-"
        lines.append(f"| `{r['pod']}` | {r['status']} | {r['gpu'] or '-'} | "
                     f"{r['cost_per_hour']:.2f} | {endpoints} | {r['health']} |")
    return "\n".join(lines) + "\n"
