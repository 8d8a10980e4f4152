"""plan: observe, diff, cost, guardrails; print and optionally save the plan."""

from __future__ import annotations

import json
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
        planned = plan_stacks(session, stacks, access.client, secrets)
    # One stack's broken state stops only that stack: the others are planned, the
    # failing one is reported, and the exit status is 1 (CONTRACT §10).
    plans = [r.plan for r in planned if r.plan is not None]
    errors = {r.stack.name: r.error for r in planned if r.plan is None}
    report = render_plans(plans, fmt, out.color, access.sandbox)
    if fmt == "json" and errors:
        report = json.dumps({**json.loads(report), "errors": [
            {"stack": name, "message": text} for name, text in errors.items()]},
            indent=2) + "\n"
    elif errors:
        report += "".join(f"\nStack {name}: NOT planned: {text}\n" for name, text in errors.items())
    out.report(report, end="")
    if out_file:
        atomic_write(out_file, out.redact(render_plan_file(plans)).encode())
        out.log(f"plan written to {out_file}")
    if errors or any(p.violations for p in plans):
        return 1
    return 2 if detailed_exitcode and any(p.has_changes for p in plans) else 0
