"""The scheduled loop: drift (with drift issues, and reconcile when asked) and destroy."""

from __future__ import annotations

from gitops_runner.commands import action_preview, action_review
from gitops_runner.commands.action_run import Run
from gitops_runner.config.model import Stack
from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.observe import drift_stacks
from gitops_runner.errors import GitopsError
from gitops_runner.github.api import GitHubError
from gitops_runner.github.comment import neutralise_markdown
from gitops_runner.github.issues import open_drift_issues, sync_drift_issue
from gitops_runner.plan.drift import StackDrift
from gitops_runner.report.drift import drift_markdown


def drift(run: Run, stacks: list[Stack]) -> None:
    if run.decision.sweep_previews:
        action_preview.sweep(run, stacks)
    reconcile = run.decision.reconcile
    secrets = run.session.secret_values(stacks, required=reconcile)
    with run.session.runpod(stacks) as access:
        results = drift_stacks(run.session, stacks, access.client, secrets)
    if reconcile and any(r.findings for r in results):
        action_review.apply(run, [r.stack for r in results if r.findings])
        with run.session.runpod(stacks) as access:
            results = drift_stacks(run.session, stacks, access.client, secrets)
    has_drift = any(r.findings for r in results)
    run.outputs.update({"has-drift": str(has_drift).lower(),
                        "summary": f"{sum(1 for r in results if r.findings)} of {len(results)} "
                                   "stack(s) drifted"})
    run.summary.append(neutralise_markdown(drift_markdown(results)))
    if run.decision.drift_issues:
        _sync_issues(run, results)
    if has_drift:
        run.fail(2)


def _sync_issues(run: Run, results: list[StackDrift]) -> None:
    gh = run.github()
    if gh is None:
        return
    owner, repo = run.ctx.owner_repo
    try:
        existing = open_drift_issues(gh, owner, repo, run.ctx.comment_author)
        for r in results:
            body = run.out.redact(neutralise_markdown(drift_markdown([r]))) \
                + f"\n_[Run]({run.ctx.run_url})_\n"
            done = sync_drift_issue(gh, owner, repo, r.stack.name, bool(r.findings), body,
                                    existing)
            run.out.log(f"{r.stack.name}: drift issue {done}")
    except GitHubError as exc:
        run.warn_github("updating drift issues", exc)


def destroy(run: Run, stacks: list[Stack]) -> None:
    with run.session.runpod(stacks) as access:
        for stack in stacks:
            count, failures = destroy_stack(run.session, stack, access)
            run.summary.append(f"- {stack.name}: {count} pod(s) terminated"
                               + (f", {len(failures)} failed" if failures else ""))
            if failures:
                run.fail()


def schedule(run: Run, stacks: list[Stack]) -> None:
    """`command: schedule` (CONTRACT §11) needs the schedule command, which this version
    does not have yet; the scheduled run (`auto`) runs drift until it does."""
    raise GitopsError("command: schedule is not available in this version of gitops-runner; "
                      "the scheduled workflow runs drift (command: auto) until it is")
