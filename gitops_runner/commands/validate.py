"""validate: schema and semantic checks, no network (CONTRACT §4)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gitops_runner.config import check_files, deploy_files
from gitops_runner.config.cadence import DRIFT_WORKFLOWS, cadence_warning, uses_idle_stop
from gitops_runner.config.model import Stack
from gitops_runner.engine.session import Session
from gitops_runner.github.annotations import error_annotation, warning_annotation
from gitops_runner.plan.startable import endpoint_warnings, pod_warnings
from gitops_runner.report.jsonreport import dump


def run(session: Session, configs: Sequence[str], fmt: str = "text") -> int:
    out = session.out
    files = deploy_files(configs)
    stacks, problems = check_files(files)
    # Will it start? Offline warnings (CONTRACT §13); they never fail validate.
    warnings = [{"file": s.file, "message": w} for s in stacks for spec in s.pods
                for w in dict.fromkeys(pod_warnings(spec))]
    warnings += [{"file": s.file, "message": w} for s in stacks for spec in s.endpoints
                 for w in endpoint_warnings(spec)]
    warnings += _cadence_warnings(stacks)
    if fmt == "json":
        out.report(dump({"valid": not problems, "files": files,
                         "stacks": [s.name for s in stacks],
                         "errors": [vars(p) for p in problems], "warnings": warnings}))
    else:
        for problem in problems:
            out.report(str(problem))
        for warning in warnings:
            out.report(f"{warning['file']}: warning: {warning['message']}")
        if not problems:
            out.report(f"{len(files)} file(s) valid: {', '.join(s.name for s in stacks)}")
    if session.in_actions:
        for problem in problems:
            out.command(error_annotation(problem.file, problem.line, problem.col,
                                        problem.message))
        for warning in warnings:
            out.command(warning_annotation(warning["file"], warning["message"]))
    return 1 if problems else 0


def _drift_workflow() -> tuple[str, str] | None:
    """The repository's drift workflow (path as shown, text): looked for from here up to
    the repository's root."""
    here = Path.cwd()
    for directory in (here, *here.parents):
        for name in DRIFT_WORKFLOWS:
            path = directory / name
            if path.is_file():
                try:
                    return os.path.relpath(path), path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    return None
        if (directory / ".git").exists():
            return None
    return None


def _cadence_warnings(stacks: Sequence[Stack]) -> list[dict[str, str]]:
    """Idle stop needs `schedule` every 15 minutes (CONTRACT §8, §11): a slower drift
    workflow is worth a warning on each deploy file that uses it."""
    users = [s for s in stacks if uses_idle_stop([s])]
    workflow = _drift_workflow() if users else None
    message = cadence_warning(*workflow) if workflow is not None else None
    if message is None:
        return []
    return [{"file": f, "message": message} for f in dict.fromkeys(s.file for s in users)]
