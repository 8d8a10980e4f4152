"""status as text (JSON is the rows themselves)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gitops_runner.config.model import Stack

SANDBOX_ENDPOINTS = ("sandbox: these endpoint URLs are served by the simulator inside the "
                     "gitops-runner process, so they answer only while a sandbox command "
                     "runs (e.g. `gitops-runner logs POD --follow --sandbox`), not after "
                     "status exits")


def _local(stamp: str, zone: str) -> str:
    at = datetime.fromisoformat(stamp)
    return f"{at:%a %Y-%m-%d %H:%M} {zone}"


def lifecycle_lines(row: dict[str, Any]) -> list[str]:
    """Why a scheduled pod is as it is: its window now, the next change, idle stop."""
    lines = []
    if row.get("declared_stopped"):
        lines.append("declared stopped (status: stopped): kept with its volume, no GPU billed")
    window = row.get("schedule")
    if window:
        text = (f"schedule: window {window['state']} ({', '.join(window['windows'])} "
                f"{window['timezone']})")
        change = window["next_change"]
        if change:
            text += (f"; next {change['action']} {_local(change['at'], window['timezone'])}"
                     f" ({change['at_utc']})")
        lines.append(text)
    if row.get("idle_stopped"):
        lines.append(f"idle stop: stopped at {row['idle_stopped']} (starts at its next window "
                     "opening, on the next apply, or with `schedule --start`)")
    elif row.get("idle_since"):
        lines.append(f"idle: every GPU below the idle_stop threshold since {row['idle_since']}")
    return lines


def _gpu(row: dict[str, Any]) -> str:
    return f"{row['gpu']} x{row['gpu_count']}" if row.get("gpu") else "-"


def status_text(stack: Stack, rows: list[dict[str, Any]]) -> str:
    lines = [f"Stack {stack.name}"]
    for r in rows:
        lines.append(f"  {r['pod']:<16} {r['status']:<12} {r['id'] or '-':<16} "
                     f"{_gpu(r):<28} ${r['cost_per_hour']:.2f}/h  {r['health']}")
        lines.extend(f"      {e}" for e in r["endpoints"])
        lines.extend(f"      {line}" for line in lifecycle_lines(r))
    total = sum(r["cost_per_hour"] for r in rows)
    lines.append(f"  total ${total:.2f}/h")
    return "\n".join(lines)


def endpoint_text(rows: list[dict[str, Any]]) -> list[str]:
    """Serverless endpoints: workers by state and the rollout (CONTRACT §14)."""
    lines = []
    for r in rows:
        w = r["workers"]
        workers = ", ".join(f"{w.get(k, 0)} {k}" for k in
                            ("idle", "running", "initializing", "throttled", "unhealthy")
                            if w.get(k)) or "no workers"
        rollout = r.get("rollout") or {}
        rolling = (f"  rollout {rollout['workers_on_latest']}/{rollout['workers_total']} on "
                   f"v{r['version']}" if rollout.get("in_progress") else
                   (f"  v{r['version']}" if r.get("version") else ""))
        lines.append(f"  endpoint {r['endpoint']:<7} {r['status']:<14} {r['id'] or '-':<16} "
                     f"{workers}{rolling}")
        lines.extend(f"      {kind}: {url}" for kind, url in r["urls"].items())
    return lines
