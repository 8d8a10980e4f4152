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
            options.poll_seconds = min(options.poll_seconds, 0.5)  # simulated pods boot fast
        for stack in stacks:
            store, locker = open_backend(stack, env, out.log)
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
            store, locker = open_backend(stack, env, out.log)
            count, failures = destroy_stack(stack, store, locker, access.client, env, out.log,
                                            ApplyOptions(wait_seconds=stack.state.lock.wait_seconds))
            out.report(f"{stack.name}: {count} pod(s) terminated, state emptied"
                       if not failures else f"{stack.name}: {len(failures)} pod(s) could not "
                       "be terminated: " + "; ".join(failures))
            ok = ok and not failures
    return 0 if ok else 1


def run_status(env: Mapping[str, str], out: Output, stacks: Sequence[Stack], sandbox: bool,
               fmt: str) -> int:
    import json

    from gitops_runner.operations import read_state
    from gitops_runner.status import status_rows, status_text

    states = [read_state(s, env, out.log)[0] for s in stacks]
    with runpod_access(env, stacks, sandbox) as access:
        if access.sandbox:
            out.log(SANDBOX_BANNER)
        observed = access.client.list_pods()
        tables = [(s, status_rows(s, st, observed, access.proxy_url))
                  for s, st in zip(stacks, states, strict=True)]
    if fmt == "json":
        out.report(json.dumps({"stacks": [{"stack": s.name, "pods": rows}
                                          for s, rows in tables]}, indent=2))
    else:
        out.report("\n".join(status_text(s, rows) for s, rows in tables))
    return 0


def run_logs(env: Mapping[str, str], out: Output, stacks: Sequence[Stack], sandbox: bool,
             pod: str, follow: bool, tail: int) -> int:
    from gitops_runner.operations import read_state
    from gitops_runner.plan.observed import parse_pod

    with runpod_access(env, stacks, sandbox) as access:
        pod_id = None
        for stack in stacks:
            record = read_state(stack, env, out.log)[0].pods.get(pod)
            if record is not None:
                pod_id = record.id
                break
        if pod_id is None:
            names = {s.name for s in stacks}
            for observed in map(parse_pod, access.client.list_pods()):
                if observed.id == pod or (observed.logical == pod and observed.stack in names):
                    pod_id = observed.id
                    break
        if pod_id is None:
            raise UsageError(f"no pod {pod!r} in the state or on RunPod for "
                             f"{', '.join(s.name for s in stacks)}")
        for event in access.client.stream_logs(pod_id, tail=tail, follow=follow):
            out.report(f"{event.get('ts', '')} {event.get('line', '')}")
    return 0


def run_state_read(env: Mapping[str, str], out: Output, stacks: Sequence[Stack],
                   what: str) -> int:
    from gitops_runner.operations import read_state
    from gitops_runner.state_commands import one_stack, state_lines

    stack = one_stack(stacks)
    _, snapshot = read_state(stack, env, out.log)
    for line in state_lines(snapshot.doc, what):
        out.report(line)
    return 0


def run_state_change(env: Mapping[str, str], out: Output, stacks: Sequence[Stack],
                     sandbox: bool, what: str, *args: str) -> int:
    from gitops_runner import state_commands as sc

    stack = sc.one_stack(stacks)
    store, locker = open_backend(stack, env, out.log)
    if what == "push":
        with open(args[0], encoding="utf-8") as handle:
            doc = sc.state_push(stack, store, locker, env, out.log, handle.read(), args[0])
        out.report(f"{stack.name}: state pushed (serial {doc.serial})")
    elif what == "rm":
        sc.state_rm(stack, store, locker, env, out.log, args[0])
        out.report(f"{stack.name}: {args[0]} removed from state (RunPod untouched)")
    else:
        with runpod_access(env, stacks, sandbox) as access:
            record = sc.state_import(stack, store, locker, env, out.log, access.client,
                                     args[0], args[1])
        out.report(f"{stack.name}: imported pod {record.id} as {args[0]}; run plan to see "
                   "how it differs from the deploy file")
    return 0


def run_lock_read(env: Mapping[str, str], out: Output, stacks: Sequence[Stack],
                  detailed: bool) -> int:
    from gitops_runner.state_commands import lock_lines

    for stack in stacks:
        _, locker = open_backend(stack, env, out.log)
        for line in lock_lines(stack, locker.holder(), detailed):
            out.report(line)
    return 0


def run_force_unlock(env: Mapping[str, str], out: Output, stacks: Sequence[Stack],
                     lock_id: str, if_run_finished: bool) -> int:
    from gitops_runner.github.api import GitHubClient, run_finished
    from gitops_runner.state_commands import force_unlock

    lockers = [open_backend(s, env, out.log)[1] for s in stacks]
    check = None
    if if_run_finished:
        gh = GitHubClient(env.get("GITHUB_API_URL", "https://api.github.com"),
                          env.get("GITHUB_TOKEN", ""))

        def check(url: str) -> tuple[bool, str]:
            return run_finished(gh, url)

    out.report(force_unlock(stacks, lockers, lock_id, check))
    return 0
