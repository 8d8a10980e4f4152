"""status as text (JSON is the rows themselves)."""

from __future__ import annotations

from typing import Any

from gitops_runner.config.model import Stack

SANDBOX_ENDPOINTS = ("sandbox: these endpoint URLs are served by the simulator inside the "
                     "gitops-runner process, so they answer only while a sandbox command "
                     "runs (e.g. `gitops-runner logs POD --follow --sandbox`), not after "
                     "status exits")


def status_text(stack: Stack, rows: list[dict[str, Any]]) -> str:
    lines = [f"Stack {stack.name}"]
    for r in rows:
        lines.append(f"  {r['pod']:<16} {r['status']:<12} {r['id'] or '-':<16} "
                     f"{r['gpu'] or '-':<28} ${r['cost_per_hour']:.2f}/h  {r['health']}")
        lines.extend(f"      {e}" for e in r["endpoints"])
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
