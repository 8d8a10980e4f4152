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
