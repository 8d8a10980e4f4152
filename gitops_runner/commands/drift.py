"""drift: compare the deploy files, the state and RunPod (read-only)."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine.observe import drift_stacks
from gitops_runner.engine.preview import orphaned_previews
from gitops_runner.engine.session import Session
from gitops_runner.report.drift import has_drift, render_drift


def run(session: Session, configs: Sequence[str], fmt: str = "text") -> int:
    stacks = session.stacks(configs)
    secrets = session.secret_values(stacks, required=False)
    with session.runpod(stacks) as access:
        results = drift_stacks(session, stacks, access.client, secrets)
        orphans = orphaned_previews(session, stacks, access)
    session.out.report(render_drift(results, fmt, orphans))
    if any(r.error for r in results):
        return 1  # a stack that could not be checked (the others were: CONTRACT §10)
    return 2 if has_drift(results, orphans) else 0
