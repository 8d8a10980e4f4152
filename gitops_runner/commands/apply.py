"""apply: make RunPod match the deploy files, or a saved plan file."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError, UsageError
from gitops_runner.plan.model import Plan
from gitops_runner.plan.planfile import parse_plan_file
from gitops_runner.report.plan import render_text


def _saved_plans(planfile: str) -> dict[str, Plan]:
    try:
        with open(planfile, encoding="utf-8") as handle:
            plans = parse_plan_file(handle.read(), planfile)
    except OSError as exc:
        raise UsageError(f"cannot read plan file {planfile}: {exc.strerror}") from None
    return {p.stack: p for p in plans}


def run(session: Session, configs: Sequence[str], options: ApplyOptions,
        planfile: str | None = None, ask: Callable[[str], bool] | None = None) -> int:
    """`ask` confirms the plan on a terminal; None applies without asking."""
    out = session.out
    stacks = session.stacks(configs)
    saved = _saved_plans(planfile) if planfile is not None else {}
    if planfile is not None:
        missing = [s.name for s in stacks if s.name not in saved]
        if missing:
            raise UsageError(f"plan file {planfile} has no plan for {', '.join(missing)}")
        stacks = [s for s in stacks if s.name in saved]
    secrets = session.secret_values(stacks)
    results: list[ApplyResult] = []
    errors: list[str] = []
    with session.runpod(stacks) as access:

        def confirm(plan: Plan) -> bool:
            out.report(render_text(plan, out.color, access.sandbox), end="")
            return ask is None or ask("Apply these changes?")

        for stack in stacks:
            # One stack's failure (lock held, state error) does not stop the others.
            try:
                results.append(apply_stack(session, stack, access, secrets, options,
                                           saved.get(stack.name), confirm))
            except GitopsError as exc:
                session.log(f"error: {stack.name}: {exc}")
                errors.append(f"{stack.name}: failed: {exc}")
    for result in results:
        out.report(result.summary())
        for failure in result.failed:
            out.report(f"  failed: {failure.pod} {failure.action}: {failure.detail}")
    for error in errors:
        out.report(error)
    return 0 if not errors and all(r.converged for r in results) else 1
