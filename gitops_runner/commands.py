"""Glue for the commands that change things: build adapters, run the core, report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from gitops_runner.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.config.model import Stack
from gitops_runner.destroy import destroy_stack
from gitops_runner.errors import UsageError
from gitops_runner.output import Output
from gitops_runner.plan.model import Plan
from gitops_runner.plan.planfile import parse_plan_file
from gitops_runner.plan.render import render_text
from gitops_runner.reports import SANDBOX_BANNER
from gitops_runner.state.factory import open_backend
from gitops_runner.wiring import runpod_access, secret_values


def _saved_plans(planfile: str | None) -> dict[str, Plan]:
    if planfile is None:
        return {}
    try:
        with open(planfile, encoding="utf-8") as handle:
            plans = parse_plan_file(handle.read(), planfile)
    except OSError as exc:
        raise UsageError(f"cannot read plan file {planfile}: {exc.strerror}") from None
    return {p.stack: p for p in plans}


def run_apply(env: Mapping[str, str], out: Output, stacks: Sequence[Stack], sandbox: bool,
              options: ApplyOptions, planfile: str | None,
              ask: Callable[[str], bool] | None) -> int:
    saved = _saved_plans(planfile)
    if planfile is not None:
        missing = [s.name for s in stacks if s.name not in saved]
        if missing:
            raise UsageError(f"plan file {planfile} has no plan for {', '.join(missing)}")
        stacks = [s for s in stacks if s.name in saved]
    secrets = secret_values(stacks, env)
    results: list[ApplyResult] = []
    with runpod_access(env, stacks, sandbox) as access:
        if access.sandbox:
            out.log(SANDBOX_BANNER)
        if access.sandbox:
            options.poll_seconds = min(options.poll_seconds, 0.5)
        for stack in stacks:
            store, locker = open_backend(stack, env)
            options.wait_seconds = stack.state.lock.wait_seconds

            def confirm(plan: Plan) -> bool:
                out.report(render_text(plan, out.color, access.sandbox), end="")
                return ask is None or ask("Apply these changes?")

            results.append(apply_stack(
                stack, store, locker, access.client, secrets, access.proxy_url, env,
                out.log, options, saved.get(stack.name), confirm))
    for result in results:
        out.report(result.summary())
        for failure in result.failed:
            out.report(f"  failed: {failure.pod} {failure.action}: {failure.detail}")
    return 0 if all(r.converged for r in results) else 1


def run_destroy(env: Mapping[str, str], out: Output, stacks: Sequence[Stack],
                sandbox: bool) -> int:
    ok = True
    with runpod_access(env, stacks, sandbox) as access:
        if access.sandbox:
            out.log(SANDBOX_BANNER)
        for stack in stacks:
            store, locker = open_backend(stack, env)
            count, failures = destroy_stack(stack, store, locker, access.client, env, out.log,
                                            ApplyOptions(wait_seconds=stack.state.lock.wait_seconds))
            out.report(f"{stack.name}: {count} pod(s) terminated, state emptied"
                       if not failures else f"{stack.name}: {len(failures)} pod(s) could not "
                       "be terminated: " + "; ".join(failures))
            ok = ok and not failures
    return 0 if ok else 1
