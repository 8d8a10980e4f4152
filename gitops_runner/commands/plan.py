"""plan: observe, diff, cost, guardrails; print and optionally save the plan."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine.observe import plan_stacks
from gitops_runner.engine.session import Session
from gitops_runner.fsutil import atomic_write
from gitops_runner.plan.planfile import render_plan_file
from gitops_runner.report.plan import render_plans


def run(session: Session, configs: Sequence[str], fmt: str = "text",
        out_file: str | None = None, detailed_exitcode: bool = False) -> int:
    out = session.out
    stacks = session.stacks(configs)
    secrets = session.secret_values(stacks)
    with session.runpod(stacks) as access:
        plans = [r.plan for r in plan_stacks(session, stacks, access.client, secrets)]
    out.report(render_plans(plans, fmt, out.color, access.sandbox), end="")
    if out_file:
        atomic_write(out_file, out.redact(render_plan_file(plans)).encode())
        out.log(f"plan written to {out_file}")
    if any(p.violations for p in plans):
        return 1
    return 2 if detailed_exitcode and any(p.has_changes for p in plans) else 0
