"""Drift findings as text, markdown (for issues) and JSON (CONTRACT §7)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gitops_runner.plan.drift import StackDrift
from gitops_runner.report.jsonreport import REPORT_FORMAT_VERSION

CONVERGED = "No drift: RunPod, state and the deploy file agree."


def drift_json(results: Sequence[StackDrift]) -> dict[str, Any]:
    return {"format_version": REPORT_FORMAT_VERSION, "has_drift": any(r.findings for r in results),
            "stacks": [{"stack": r.stack.name, "findings": [f.to_json() for f in r.findings],
                        "notes": list(r.notes)} for r in results]}


def drift_text(results: Sequence[StackDrift]) -> str:
    lines = []
    for result in results:
        lines.append(f"Stack {result.stack.name}")
        if not result.findings:
            lines.append(CONVERGED)
        for finding in result.findings:
            label = finding.pod if finding.resource == "pod" else f"endpoint {finding.pod}"
            lines.append(f"  {label}: {finding.kind}")
            lines.extend(f"      {reason}" for reason in finding.reasons)
        lines.extend(f"  Note: {note}" for note in result.notes)
    return "\n".join(lines)


def drift_markdown(results: Sequence[StackDrift]) -> str:
    out = []
    for result in results:
        out.append(f"### Stack `{result.stack.name}`\n")
        if not result.findings:
            out.append(CONVERGED + "\n")
        for finding in result.findings:
            label = finding.pod if finding.resource == "pod" else f"endpoint {finding.pod}"
            out.append(f"- **{label}**: {finding.kind}")
            out.extend(f"  - {reason}" for reason in finding.reasons)
        out.extend(f"\n_Note: {note}_" for note in result.notes)
        out.append("")
    return "\n".join(out)


def render_drift(results: Sequence[StackDrift], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(drift_json(results), indent=2)
    if fmt == "markdown":
        return drift_markdown(results)
    return drift_text(results)
