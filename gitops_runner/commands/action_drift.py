"""The scheduled loop: schedule (start/stop to match running windows and idle stop),
then drift (with drift issues, and reconcile when asked); and destroy. Each returns its
result; commands/action_run.py `publish` reports it."""

from __future__ import annotations

from gitops_runner.commands import action_review
from gitops_runner.commands.action_run import Run
from gitops_runner.config.model import Stack
from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.observe import drift_stacks
from gitops_runner.engine.preview import orphaned_previews
from gitops_runner.engine.schedule import schedule_stacks
from gitops_runner.errors import GitopsError
from gitops_runner.report import action_runs as runs


def drift(run: Run, stacks: list[Stack]) -> runs.DriftRun:
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
    reconciled = None
    if reconcile and healable:
        reconciled = action_review.apply(run, healable)
        with run.session.runpod(stacks) as access:
            results = drift_stacks(run.session, stacks, access.client, secrets)
    with run.session.runpod(stacks) as access:
        orphans = orphaned_previews(run.session, stacks, access)
    return runs.DriftRun(tuple(results), tuple(orphans), reconciled)


def destroy(run: Run, stacks: list[Stack]) -> runs.DestroyRun:
    done: list[runs.StackDestroyed] = []
    try:
        with run.session.runpod(stacks) as access:
            for stack in stacks:
                count, failures = destroy_stack(run.session, stack, access)
                done.append(runs.StackDestroyed(stack.name, count, tuple(failures)))
    except GitopsError as exc:  # reported after the stacks already destroyed
        return runs.DestroyRun(tuple(done), str(exc))
    return runs.DestroyRun(tuple(done))


def schedule(run: Run, stacks: list[Stack]) -> runs.ScheduleRun | None:
    """Start and stop pods to match their running windows and idle stop (CONTRACT §11);
    the scheduled run does this before drift, so drift sees the pods as they should be."""
    if not any(p.schedule is not None or p.idle_stop is not None
               for s in stacks for p in s.pods):
        return None  # nothing is scheduled: no lock, no request
    with run.session.runpod(stacks) as access:
        return runs.ScheduleRun(tuple(schedule_stacks(run.session, stacks, access,
                                                      run.session.now())))
