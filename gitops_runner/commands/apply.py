"""apply: make RunPod match the deploy files, or a saved plan file."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gitops_runner.engine.apply import ApplyOptions, ApplyResult, Approval, apply_stack
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError, UsageError
from gitops_runner.plan.model import Plan
from gitops_runner.plan.planfile import parse_plan_file
from gitops_runner.report.apply import apply_json, pod_line
from gitops_runner.report.plan import render_text


def _saved_plans(planfile: str) -> dict[str, Plan]:
    try:
        with open(planfile, encoding="utf-8") as handle:
            plans = parse_plan_file(handle.read(), planfile)
    except OSError as exc:
        raise UsageError(f"cannot read plan file {planfile}: {exc.strerror}") from None
    return {p.stack: p for p in plans}


def plan_configs(saved: dict[str, Plan]) -> list[str]:
    """The deploy files a plan file records (CONTRACT §6: `apply PLANFILE` needs no -c);
    none in a plan file from an older version: the default files, as before."""
    return list(dict.fromkeys(f for p in saved.values() for f in p.deploy_files))


def run(session: Session, configs: Sequence[str], options: ApplyOptions,
        planfile: str | None = None, ask: Callable[[str], bool] | None = None,
        fmt: str = "text") -> int:
    """`ask` confirms the plan on a terminal; None applies without asking."""
    out = session.out
    saved = _saved_plans(planfile) if planfile is not None else {}
    if planfile is not None and not configs:
        configs = plan_configs(saved)
    stacks = session.stacks(configs)
    if planfile is not None:
        missing = [s.name for s in stacks if s.name not in saved]
        if missing:
            raise UsageError(f"plan file {planfile} has no plan for {', '.join(missing)}")
        stacks = [s for s in stacks if s.name in saved]
    session.check_state_survives(stacks, "apply")
    secrets = session.secret_values(stacks)
    results: list[ApplyResult] = []
    errors: list[tuple[str, str]] = []
    with session.runpod(stacks) as access:

        def confirm(plan: Plan) -> bool:
            text = render_text(plan, out.color, access.sandbox)
            # A JSON report keeps stdout parseable: the plan to confirm goes to stderr.
            (out.report if fmt == "text" else out.log)(text, end="")
            return ask is None or ask("Apply these changes?")

        for stack in stacks:
            # One stack's failure (lock held, state error) does not stop the others.
            try:
                approval = Approval(saved=saved.get(stack.name), confirm=confirm)
                results.append(apply_stack(session, stack, access, secrets, options, approval))
            except GitopsError as exc:
                session.log(f"error: {stack.name}: {exc}")
                errors.append((stack.name, str(exc)))
    if fmt == "json":
        out.report(apply_json(results, errors))
    else:
        _report_text(session, results, errors)
    return 0 if not errors and all(r.converged for r in results) else 1


def _report_text(session: Session, results: list[ApplyResult],
                 errors: list[tuple[str, str]]) -> None:
    """The summary first, then what went wrong after it (an unlock failure included):
    a failed release never hides the run's own result (CONTRACT §7)."""
    for result in results:
        session.out.report(result.summary(unlock=False))
        for outcome in result.outcomes:
            if outcome.ok:
                session.out.report(pod_line(outcome))
        for failure in result.failed:
            session.out.report(f"  failed: {failure.pod} {failure.action}: {failure.detail}")
        for done in result.endpoint_outcomes:  # serverless endpoints (CONTRACT §14)
            change = f" ({done.change})" if done.change else ""
            if not done.ok:
                session.out.report(f"  failed: endpoint {done.endpoint} {done.action}{change}: "
                                   f"{done.detail}")
            for kind, url in done.urls.items():
                session.out.report(f"  endpoint {done.endpoint} {kind}: {url}")
        for error in result.unlock_errors:
            session.out.report(f"  {result.stack}: {error}")
    for stack, _error in errors:
        # The error itself went to stderr as it happened (CONTRACT §6: logs there); saying
        # it again here printed a lock conflict twice on a terminal.
        session.out.report(f"{stack}: failed (the error is on stderr)")
