"""validate: schema and semantic checks, no network (CONTRACT §4)."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.config import check_files, deploy_files
from gitops_runner.engine.session import Session
from gitops_runner.github.annotations import error_annotation, warning_annotation
from gitops_runner.plan.startable import pod_warnings
from gitops_runner.report.jsonreport import dump


def run(session: Session, configs: Sequence[str], fmt: str = "text") -> int:
    out = session.out
    files = deploy_files(configs)
    stacks, problems = check_files(files)
    # Will it start? Offline warnings (CONTRACT §13); they never fail validate.
    warnings = [{"file": s.file, "message": w} for s in stacks for spec in s.pods
                for w in dict.fromkeys(pod_warnings(spec))]
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
