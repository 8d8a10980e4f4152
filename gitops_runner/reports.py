"""Print plans and drift findings in the format asked for."""

from __future__ import annotations

import json
from collections.abc import Sequence

from gitops_runner.operations import StackDrift, drift_json
from gitops_runner.output import Output
from gitops_runner.plan.model import Plan
from gitops_runner.plan.planfile import render_plan_file
from gitops_runner.plan.render import render_markdown, render_text

SANDBOX_BANNER = "SANDBOX: talking to the built-in RunPod simulator, not RunPod."


def print_plans(out: Output, plans: Sequence[Plan], fmt: str, sandbox: bool) -> None:
    if sandbox and fmt != "json":
        out.log(SANDBOX_BANNER)
    if fmt == "json":
        out.report(render_plan_file(list(plans)), end="")
    elif fmt == "markdown":
        out.report("\n".join(render_markdown(p, sandbox) for p in plans), end="")
    else:
        out.report("\n".join(render_text(p, out.color, sandbox) for p in plans), end="")


def print_drift(out: Output, results: Sequence[StackDrift], fmt: str, sandbox: bool) -> None:
    if sandbox and fmt != "json":
        out.log(SANDBOX_BANNER)
    if fmt == "json":
        out.report(json.dumps(drift_json(results), indent=2))
        return
    if fmt == "markdown":
        out.report(drift_markdown(results))
        return
    for result in results:
        out.report(f"Stack {result.stack.name}")
        if not result.findings:
            out.report("No drift: RunPod, state and the deploy file agree.")
        for finding in result.findings:
            out.report(f"  {finding.pod}: {finding.kind}")
            for reason in finding.reasons:
                out.report(f"      {reason}")


def drift_markdown(results: Sequence[StackDrift]) -> str:
    out = []
    for result in results:
        out.append(f"### Stack `{result.stack.name}`\n")
        if not result.findings:
            out.append("No drift: RunPod, state and the deploy file agree.\n")
        for finding in result.findings:
            out.append(f"- **{finding.pod}**: {finding.kind}")
            out.extend(f"  - {reason}" for reason in finding.reasons)
        out.append("")
    return "\n".join(out)
