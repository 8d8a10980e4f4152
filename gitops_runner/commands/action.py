"""`gitops-runner action`: what the GitHub Action does for each event (CONTRACT §8).

The event gate (github/gate.py) decides first; nothing that may change RunPod runs
unless it allows it. The handlers call the same engine flows as the CLI commands and
return what they did: action_review.py (plan on pull requests, apply on merge),
action_drift.py (schedule, drift, reconcile, destroy). The runners below put them in
order and hand each result to action_run.publish, the one place it is reported.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable

from gitops_runner.commands import action_drift, action_preview, action_review
from gitops_runner.commands.action_run import Run, plan_comment, publish
from gitops_runner.config import check_files
from gitops_runner.config.errors import Problem
from gitops_runner.config.model import Stack
from gitops_runner.engine.session import LOCAL_STATE_FIX, Session
from gitops_runner.errors import GitopsError
from gitops_runner.github.annotations import error_annotation
from gitops_runner.github.context import ActionContext
from gitops_runner.github.gate import decide
from gitops_runner.github.outputs import (
    FileCommandError,
    append_summary,
    check_writable,
    mask_lines,
    write_outputs,
)
from gitops_runner.report import action as report
from gitops_runner.report import action_runs as runs


def _plan(run: Run, stacks: list[Stack]) -> None:
    """The plan is reported (and commented) first; the previews then join its comment."""
    result = action_review.plan(run, stacks)
    publish(run, result)
    previews = action_preview.previews(run, stacks,
                                       lambda more: plan_comment(run, result, more))
    if previews:
        plan_comment(run, result, previews)


def _drift(run: Run, stacks: list[Stack]) -> None:
    if run.decision.schedule:
        publish(run, action_drift.schedule(run, stacks))
    if run.decision.sweep_previews:
        action_preview.sweep(run, stacks)
    publish(run, action_drift.drift(run, stacks))


Handler = Callable[[Run, list[Stack]], None]
HANDLERS: dict[str, Handler] = {
    "validate": action_preview.fork_notice,  # loading the files is the validation
    "plan": _plan,
    "apply": lambda run, stacks: publish(run, action_review.apply(run, stacks)),
    "drift": _drift,
    "destroy": lambda run, stacks: publish(run, action_drift.destroy(run, stacks)),
    "schedule": lambda run, stacks: publish(run, action_drift.schedule(run, stacks)),
    "preview": action_preview.handle,  # command: preview, or a pull request closed
    "sweep": action_preview.sweep,  # command: preview on a schedule: expired/closed go
}


def run(session: Session, ctx: ActionContext) -> int:
    out = session.out
    session.with_api_key(ctx.runpod_api_key)
    # Mask before anything else is printed; these lines bypass redaction on purpose.
    for line in mask_lines([session.runpod_settings.api_key]):
        out.command(line, redact=False)
    run = Run(ctx, session)
    try:
        check_writable("the step outputs ($GITHUB_OUTPUT)", ctx.output_file)
        check_writable("the job summary ($GITHUB_STEP_SUMMARY)", ctx.summary_file)
    except FileCommandError as exc:
        out.log(f"error: {exc}")
        return 1  # before any change: nothing to report anywhere else
    run.decision = decide(ctx.event_name, ctx.ref, ctx.default_branch, ctx.command,
                          ctx.reconcile, ctx.is_fork, ctx.event_action)
    if run.decision.refusal:
        run.refuse(run.decision.refusal)
    else:
        _act(run)
    return _finish(run)


def _act(run: Run) -> None:
    decision, out = run.decision, run.out
    if decision.note:
        out.log(decision.note)
        run.summary.append(runs.gate_note(decision.note))
    if decision.command == "nothing":
        return
    files = sorted({path for pattern in run.ctx.config_patterns
                    for path in glob.glob(pattern, recursive=True) if os.path.isfile(path)})
    stacks, problems = check_files(files) if files else ([], [])
    # Each secret the files name is masked before any problem or report is printed.
    values = run.session.secret_values(stacks, required=False).values()
    for line in mask_lines(list(values)):
        out.command(line, redact=False)
    _report_problems(run, files, problems)
    try:
        if files and _backend_allows(run, stacks):
            HANDLERS[decision.command](run, stacks)
    except GitopsError as exc:
        out.log(f"error: {exc}")
        run.summary.append(report.error(str(exc)))
        run.fail()


def _report_problems(run: Run, files: list[str], problems: list[Problem]) -> None:
    if not files:
        patterns = ", ".join(run.ctx.config_patterns)
        run.out.log(f"error: no deploy files match {patterns}")
        run.summary.append(report.no_files(patterns))
        run.fail()
        return
    for p in problems:
        run.out.command(error_annotation(p.file, p.line, p.col, p.message))
    if problems:
        run.invalid = report.invalid_files([(p.file, p.line, p.col, p.message)
                                            for p in problems])
        run.summary.append(run.invalid)
        run.fail()


def _backend_allows(run: Run, stacks: list[Stack]) -> bool:
    """Local state in Actions vanishes with the runner: refuse changes, warn on plans."""
    local = [s.name for s in stacks if s.state.backend == "local"]
    if not local or run.session.sandbox:
        return True
    names = ", ".join(local)
    if run.decision.may_change:
        run.refuse(f"{names} keep(s) state with backend: local, which vanishes with the "
                   f"runner, so nothing is changed; {LOCAL_STATE_FIX}")
        return False
    if run.decision.command == "plan":
        run.warn(f"{names} keep(s) state with backend: local: on a runner that state is "
                 f"empty, so this plan shows every pod as new; {LOCAL_STATE_FIX}")
    return True


def _finish(run: Run) -> int:
    out, ctx = run.out, run.ctx
    run.outputs.setdefault("has-changes", "false")
    run.outputs.setdefault("has-drift", "false")
    run.outputs.setdefault("plan-json", "")
    run.outputs.setdefault("summary", run.summary[0].splitlines()[0] if run.summary else "")
    try:
        append_summary(ctx.summary_file, out.redact("\n".join(run.summary)))
        write_outputs(ctx.output_file, {k: out.redact(v) for k, v in run.outputs.items()})
    except FileCommandError as exc:
        out.log(f"error: {exc}")
        return 1
    return run.exit_code
