"""destroy: terminate every managed pod of the stack (state or markers) and empty state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.journal import open_journal
from gitops_runner.engine.lock import held_lock
from gitops_runner.engine.network_volumes import destroy_volumes
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.plan.observed import parse_pod
from gitops_runner.runpod.errors import NotFoundError, RunPodError
from gitops_runner.state.base import LockInfo


def destroy_stack(session: Session, stack: Stack, access: RunPodAccess,
                  parallelism: int = 8,
                  unlock_errors: list[str] | None = None,
                  volumes_deleted: list[dict[str, Any]] | None = None) -> tuple[int, list[str]]:
    """Returns (pods terminated, failures). With `unlock_errors`, a failure to release
    the lock lands there instead of being raised in place of the result. The stack's
    network volumes go too, after the pods (CONTRACT §14); `volumes_deleted` lists them."""
    store, locker = session.backend(stack)
    client = access.client
    info = LockInfo.new("destroy", stack.name, session.identity)
    with held_lock(locker, info, stack.state.lock.wait_seconds, session.log,
                   session.clock, unlock_errors=unlock_errors) as fence:
        journal = open_journal(store, stack, session.clock, fence=fence)
        doc = journal.doc
        observed = [parse_pod(p) for p in client.list_pods()]
        ids: set[str] = {p.id for p in observed
                         if p.stack == stack.name and p.status != "TERMINATED"}
        ids |= {r.id for r in doc.pods.values()} | {i for r in doc.pods.values()
                                                    for i in r.superseded}
        # Pods forgotten with `state rm`, and recorded pods of another stack, stay.
        foreign = {p.id for p in observed if p.stack is not None and p.stack != stack.name}
        for pod_id in sorted(ids & (set(doc.unmanaged) | foreign)):
            why = ("unmanaged since 'state rm'" if pod_id in doc.unmanaged
                   else "it carries another stack's markers")
            session.log(f"{stack.name}: leaving pod {pod_id} alone: {why}")
        ids -= set(doc.unmanaged) | foreign
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
        if doc.volumes and not failures:  # no pod may still mount them
            gone, volume_failures = destroy_volumes(client, journal, fence.check, session.log)
            failures += volume_failures
            if volumes_deleted is not None:
                volumes_deleted.extend(gone)
            journal.history(session.identity.actor, "destroy", "",
                            "failed" if failures else "destroyed")
        return len(ids) - len(failed_ids), failures
