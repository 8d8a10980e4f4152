"""destroy: terminate every managed pod of the stack (state or markers) and empty state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from gitops_runner.config.model import Stack
from gitops_runner.engine.journal import open_journal
from gitops_runner.engine.lock import held_lock
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.teardown import Doomed, Teardown, teardown
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import NotFoundError, RunPodError
from gitops_runner.state.base import LockInfo


def destroy_preview(session: Session, stack: Stack, client: RunPodClient) -> Teardown:
    """What destroy would terminate, read without the lock: shown before asking."""
    doc, _ = read_state(session, stack)
    return teardown(stack.name, doc, [parse_pod(p) for p in client.list_pods()])


def destroy_stack(session: Session, stack: Stack, access: RunPodAccess,
                  parallelism: int = 8,
                  unlock_errors: list[str] | None = None,
                  doomed: list[Doomed] | None = None) -> tuple[int, list[str]]:
    """Returns (pods terminated, failures). With `unlock_errors`, a failure to release
    the lock lands there instead of being raised in place of the result; `doomed` gets
    the pods it set out to terminate, with what each destroys (CONTRACT §4)."""
    store, locker = session.backend(stack)
    client = access.client
    info = LockInfo.new("destroy", stack.name, session.identity)
    with held_lock(locker, info, stack.state.lock.wait_seconds, session.log,
                   session.clock, unlock_errors=unlock_errors) as fence:
        journal = open_journal(store, stack, session.clock, fence=fence)
        doc = journal.doc
        plan = teardown(stack.name, doc, [parse_pod(p) for p in client.list_pods()])
        for pod_id, why in plan.left_alone:
            session.log(f"{stack.name}: leaving pod {pod_id} alone: {why}")
        ids = {d.pod_id for d in plan.doomed}
        if doomed is not None:
            doomed.extend(plan.doomed)
        failures: list[str] = []

        def terminate(pod_id: str) -> None:
            if fence.lost:
                failures.append(f"{pod_id}: not terminated: {fence.message()}")
                return
            try:
                client.delete_pod(pod_id)
                session.log(f"terminated pod {pod_id}")
            except NotFoundError:
                pass
            except RunPodError as exc:
                failures.append(f"{pod_id}: {exc}")

        with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
            list(pool.map(terminate, sorted(ids)))
        failed_ids = {f.split(":", 1)[0] for f in failures}
        if doc.pods or journal.existed:
            journal.update(lambda d: replace(d, pods={
                name: rec for name, rec in d.pods.items() if rec.id in failed_ids}))
            journal.history(session.identity.actor, "destroy", "",
                            "failed" if failures else "destroyed")
        return len(ids) - len(failed_ids), failures
