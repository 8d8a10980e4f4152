"""Drift findings as text, markdown (for issues) and JSON (CONTRACT §7)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gitops_runner.plan.drift import StackDrift
from gitops_runner.plan.previews import LivePreview
from gitops_runner.report.jsonreport import REPORT_FORMAT_VERSION

CONVERGED = "No drift: RunPod, state and the deploy file agree."


def has_drift(results: Sequence[StackDrift], orphans: Sequence[LivePreview] = ()) -> bool:
    return bool(orphans) or any(r.findings for r in results)


def _orphan_line(p: LivePreview) -> str:
    expires = p.expires_at
    return (f"orphaned preview {p.name} (pull request #{p.number}): {len(p.pods)} pod(s), "
            f"${p.cost:.2f}/h; no deploy file produces it: the next event of #{p.number} "
            "destroys it, or the scheduled sweep once the pull request closes or it expires"
            + (f" ({expires.isoformat()})" if expires else ""))


def drift_json(results: Sequence[StackDrift],
               orphans: Sequence[LivePreview] = ()) -> dict[str, Any]:
    return {"format_version": REPORT_FORMAT_VERSION, "has_drift": has_drift(results, orphans),
            "stacks": [{"stack": r.stack.name, "findings": [f.to_json() for f in r.findings],
                        "notes": list(r.notes), **({"error": r.error} if r.error else {})}
                       for r in results],
            "orphaned_previews": [{"preview": p.name, "pull_request": p.number,
                                   "pods": [pod.id for pod in p.pods], "cost_per_hour": p.cost,
                                   "expires_at": p.expires_at.isoformat()
                                   if p.expires_at else None} for p in orphans]}


def drift_text(results: Sequence[StackDrift], orphans: Sequence[LivePreview] = ()) -> str:
    lines = [_orphan_line(p) for p in orphans]
    for result in results:
        lines.append(f"Stack {result.stack.name}")
        if result.error:
            lines.append(f"  error: not checked: {result.error}")
        elif not result.findings:
            lines.append(CONVERGED)
        for finding in result.findings:
            label = finding.pod if finding.resource == "pod" else f"endpoint {finding.pod}"
            lines.append(f"  {label}: {finding.kind}")
            lines.extend(f"      {reason}" for reason in finding.reasons)
        lines.extend(f"  Note: {note}" for note in result.notes)
    return "\n".join(lines)


def drift_markdown(results: Sequence[StackDrift], orphans: Sequence[LivePreview] = ()) -> str:
    out = [f"- :warning: {_orphan_line(p)}" for p in orphans] + ([""] if orphans else [])
    for result in results:
        out.append(f"### Stack `{result.stack.name}`\n")
        if result.error:
            out.append(f"**Error: not checked:** {result.error}\n")
        elif not result.findings:
            out.append(CONVERGED + "\n")
        for finding in result.findings:
            label = finding.pod if finding.resource == "pod" else f"endpoint {finding.pod}"
            out.append(f"- **{label}**: {finding.kind}")
            out.extend(f"  - {reason}" for reason in finding.reasons)
        out.extend(f"\n_Note: {note}_" for note in result.notes)
        out.append("")
    return "\n".join(out)


def render_drift(results: Sequence[StackDrift], fmt: str,
                 orphans: Sequence[LivePreview] = ()) -> str:
    if fmt == "json":
        return json.dumps(drift_json(results, orphans), indent=2)
    if fmt == "markdown":
        return drift_markdown(results, orphans)
    return drift_text(results, orphans)
