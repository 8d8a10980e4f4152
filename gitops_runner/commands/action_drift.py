"""The scheduled loop: schedule (start/stop to match running windows and idle stop),
then drift (with drift issues, and reconcile when asked); and destroy."""

from __future__ import annotations

from gitops_runner.commands import action_preview, action_review
from gitops_runner.commands.action_run import Run
from gitops_runner.config.model import Stack
from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.observe import drift_stacks
from gitops_runner.engine.preview import orphaned_previews
from gitops_runner.engine.schedule import schedule_stacks
from gitops_runner.github.api import GitHubError
from gitops_runner.github.issues import open_drift_issues, sync_drift_issue
from gitops_runner.plan.drift import StackDrift
from gitops_runner.report import action as report
from gitops_runner.report.drift import has_drift
from gitops_runner.report.schedule import render_schedule


def drift(run: Run, stacks: list[Stack]) -> None:
    if run.decision.schedule:
        schedule(run, stacks)
    if run.decision.sweep_previews:
        action_preview.sweep(run, stacks)
    reconcile = run.decision.reconcile
    secrets = run.session.secret_values(stacks, required=reconcile)
    with run.session.runpod(stacks) as access:
        results = drift_stacks(run.session, stacks, access.client, secrets)
    # Reconcile heals what changed behind our back (drift, expired pods) back to what was
    # applied. A file change nobody applied (pending) is not healed here: only a reviewed
    # merge, or an explicit command: apply, applies it (CONTRACT §8).
    healable = [r.stack for r in results if r.findings
                and all(f.kind in ("drift", "expired") for f in r.findings)]
    unreviewed = [r.stack.name for r in results if any(f.kind == "pending" for f in r.findings)]
    if reconcile and unreviewed:
        run.warn(f"not reconciled: {', '.join(unreviewed)} — the deploy files differ from what "
                 "was applied (pending), and only a reviewed merge (or command: apply) applies "
                 "that")
    if reconcile and healable:
        action_review.apply(run, healable)
        with run.session.runpod(stacks) as access:
            results = drift_stacks(run.session, stacks, access.client, secrets)
    with run.session.runpod(stacks) as access:
        orphans = orphaned_previews(stacks, access)
    drifted = has_drift(results, orphans)
    run.outputs.update({"has-drift": str(drifted).lower(),
                        "summary": f"{sum(1 for r in results if r.findings)} of {len(results)} "
                                   "stack(s) drifted"
                                   + (f", {len(orphans)} orphaned preview(s)" if orphans else "")})
    run.summary.append(report.drift(results, orphans))
    if run.decision.drift_issues:
        _sync_issues(run, results)
    if drifted:
        run.fail(2)
    if any(r.error for r in results):
        run.fail()  # a stack that could not be checked; the others were (CONTRACT §10)


def _sync_issues(run: Run, results: list[StackDrift]) -> None:
    gh = run.github()
    if gh is None:
        return
    owner, repo = run.ctx.owner_repo
    try:
        existing = open_drift_issues(gh, owner, repo, run.ctx.comment_author)
        for r in results:
            body = run.out.redact(report.drift([r])) + report.run_link(run.ctx.run_url)
            done = sync_drift_issue(gh, owner, repo, r.stack.name, bool(r.findings), body,
                                    existing)
            run.out.log(f"{r.stack.name}: drift issue {done}")
    except GitHubError as exc:
        run.warn_github("updating drift issues", exc)


def destroy(run: Run, stacks: list[Stack]) -> None:
    with run.session.runpod(stacks) as access:
        for stack in stacks:
            count, failures = destroy_stack(run.session, stack, access)
            run.summary.append(report.destroyed(stack.name, count, len(failures)))
            if failures:
                run.fail()


def schedule(run: Run, stacks: list[Stack]) -> None:
    """Start and stop pods to match their running windows and idle stop (CONTRACT §11);
    the scheduled run does this before drift, so drift sees the pods as they should be."""
    if not any(p.schedule is not None or p.idle_stop is not None
               for s in stacks for p in s.pods):
        return  # nothing is scheduled: no lock, no request
    with run.session.runpod(stacks) as access:
        results = schedule_stacks(run.session, stacks, access, run.session.now())
    text = render_schedule(results, "text")
    run.out.log(text)
    run.summary.append(report.schedule_block(text))
    if any(r.failed for r in results):
        run.fail()
