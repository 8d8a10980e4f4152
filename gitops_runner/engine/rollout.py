"""Carry out a plan's actions as rolling updates (CONTRACT §10).

Per pod entry: new replicas and removed ones go at once (they take nothing away from
what serves); replicas that change go in batches, so that at no moment more than
`max_unavailable` of them are unready. A replace creates the new pod first (a surge)
and terminates the old one once the new one is ready, so it costs no availability and
batches by `max_surge`; an in-place update restarts the container on RunPod, so it
counts as unavailable. When a replica fails readiness, the entry's rollout stops there:
the rest keep the old version. Entries roll out in parallel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from gitops_runner.engine.executor import Executor, Outcome
from gitops_runner.plan.model import PlanAction
from gitops_runner.plan.rollout import EntryRollout, rollout_of


def _all(run: Callable[[list[PlanAction]], list[Outcome]],
         groups: Sequence[list[PlanAction]]) -> list[Outcome]:
    if not groups:
        return []
    with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="pod") as pool:
        return [o for result in pool.map(run, groups) for o in result]


def _roll_entry(executor: Executor, entry: EntryRollout) -> list[Outcome]:
    groups = entry.groups
    outcomes = _all(executor.run_group, [groups[pod] for pod in entry.steady])
    stopped: Outcome | None = None
    for batch in entry.batches:
        if stopped is not None or executor.cancel.is_set():
            # A transient failure (a 5xx) leaves the rest to the next attempt, which
            # re-plans and goes on batching; a failed readiness check stops the rollout.
            retry = stopped is not None and stopped.retry
            for pod in batch.pods:
                outcomes.extend(Outcome(a.pod, a.action, False,
                                        f"not rolled out: {stopped.pod} failed first; it "
                                        "keeps the old version" if stopped else "interrupted",
                                        retry=retry)
                                for a in groups[pod])
            continue
        done = _all(executor.run_group, [groups[p] for p in batch.pods])
        outcomes.extend(done)
        failed = [o for o in done if not o.ok]
        if failed:
            stopped = next((o for o in failed if not o.retry), failed[0])
            executor.log(f"rollout of {stopped.pod} failed; the entry's remaining replicas "
                         "keep the old version")
    return outcomes


def execute(executor: Executor, actions: Sequence[PlanAction],
            run_cancel: threading.Event | None = None) -> list[Outcome]:
    """Every entry in parallel, each as a rolling update."""
    entries = rollout_of(actions)  # the batches the plan showed
    if not entries:
        return []
    pool = ThreadPoolExecutor(max_workers=len(entries), thread_name_prefix="entry")
    outcomes: list[Outcome] = []
    try:
        futures = [pool.submit(_roll_entry, executor, entry) for entry in entries]
        for future in futures:
            outcomes.extend(future.result())
    except BaseException as exc:
        # ^C or SIGTERM: waits stop at once and nothing more is sent, so the lock can go.
        # Anything else stops this stack only; the run's other stacks still go on.
        if run_cancel is not None and isinstance(exc, KeyboardInterrupt):
            run_cancel.set()
        executor.cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return outcomes
