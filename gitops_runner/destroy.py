"""destroy: terminate every managed pod of the stack (state or markers) and empty state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from gitops_runner.apply import ApplyOptions, held_lock
from gitops_runner.config.model import Stack
from gitops_runner.journal import Journal
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import NotFoundError, RunPodError
from gitops_runner.state.base import Locker, LockInfo, StateStore


def destroy_stack(stack: Stack, store: StateStore, locker: Locker, client: RunPodClient,
                  env: Mapping[str, str], log: Callable[[str], None],
                  options: ApplyOptions) -> tuple[int, list[str]]:
    """Returns (pods terminated, failures)."""
    info = LockInfo.new("destroy", stack.name, env)
    with held_lock(locker, info, options.wait_seconds, log):
        snapshot = store.read()
        doc = snapshot.doc or StateDoc.empty(stack.name)
        journal = Journal(store, doc, snapshot.token)
        observed = [parse_pod(p) for p in client.list_pods()]
        ids: set[str] = {p.id for p in observed
                         if p.stack == stack.name and p.status != "TERMINATED"}
        ids |= {r.id for r in doc.pods.values()} | {i for r in doc.pods.values()
                                                    for i in r.superseded}
        failures: list[str] = []

        def terminate(pod_id: str) -> None:
            try:
                client.delete_pod(pod_id)
                log(f"terminated pod {pod_id}")
            except NotFoundError:
                pass
            except RunPodError as exc:
                failures.append(f"{pod_id}: {exc}")

        with ThreadPoolExecutor(max_workers=max(1, options.parallelism)) as pool:
            list(pool.map(terminate, sorted(ids)))
        failed_ids = {f.split(":", 1)[0] for f in failures}
        if doc.pods or journal.writes or snapshot.doc is not None:
            journal.update(lambda d: replace(d, pods={
                name: rec for name, rec in d.pods.items() if rec.id in failed_ids}))
            journal.history(env.get("GITHUB_ACTOR") or "local", "destroy", "",
                            "failed" if failures else "destroyed")
        return len(ids) - len(failed_ids), failures
