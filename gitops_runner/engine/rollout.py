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

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gitops_runner.config.model import Rollout
from gitops_runner.engine.executor import Executor, Outcome
from gitops_runner.plan.model import PlanAction

DISRUPTIVE = ("update", "replace")


@dataclass(frozen=True)
class Batch:
    kind: str  # "update" | "replace"
    pods: tuple[str, ...]


def _groups(actions: Sequence[PlanAction]) -> dict[str, list[PlanAction]]:
    groups: dict[str, list[PlanAction]] = {}
    for action in actions:
        groups.setdefault(action.pod, []).append(action)
    return groups


def _entry(group: list[PlanAction]) -> str:
    for action in group:
        if action.desired is not None and action.desired.spec is not None:
            return action.desired.spec.name
    return f"(removed) {group[0].pod}"


def _main(group: list[PlanAction]) -> str:
    return next((a.action for a in group if a.wait_for is None), group[0].action)


def batches(changing: Sequence[tuple[str, str]], rollout: Rollout) -> list[Batch]:
    """Pure: (pod, "update"|"replace") in order -> batches that respect `rollout`.

    An update makes its replica unready (max_unavailable per batch); a replace surges
    (max_surge per batch). With max_unavailable 0 an in-place update still has to
    restart its replica: it goes alone."""
    out: list[Batch] = []
    for pod, kind in changing:
        size = max(1, rollout.max_unavailable if kind == "update" else
                   (rollout.max_surge or rollout.max_unavailable))
        if out and out[-1].kind == kind and len(out[-1].pods) < size:
            out[-1] = Batch(kind, (*out[-1].pods, pod))
        else:
            out.append(Batch(kind, (pod,)))
    return out


def plan_batches(actions: Sequence[PlanAction]) -> dict[str, list[Batch]]:
    """The batches each entry's changing replicas will go in, for the plan to show."""
    out: dict[str, list[Batch]] = {}
    rollouts: dict[str, Rollout] = {}
    changing: dict[str, list[tuple[str, str]]] = {}
    for pod, group in _groups(actions).items():
        kind = _main(group)
        if kind not in DISRUPTIVE:
            continue
        entry = _entry(group)
        spec = next(a.desired.spec for a in group if a.desired and a.desired.spec)
        rollouts[entry] = spec.rollout
        changing.setdefault(entry, []).append((pod, kind))
    for entry, pods in changing.items():
        out[entry] = batches(sorted(pods), rollouts[entry])
    return out


def _all(run: Callable[[list[PlanAction]], list[Outcome]],
         groups: Sequence[list[PlanAction]]) -> list[Outcome]:
    if not groups:
        return []
    with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="pod") as pool:
        return [o for result in pool.map(run, groups) for o in result]


def _roll_entry(executor: Executor, groups: dict[str, list[PlanAction]],
                rollout: Rollout) -> list[Outcome]:
    steady = [g for g in groups.values() if _main(g) not in DISRUPTIVE]
    changing = sorted((pod, _main(g)) for pod, g in groups.items() if _main(g) in DISRUPTIVE)
    outcomes = _all(executor.run_group, steady)
    stopped: str | None = None
    for batch in batches(changing, rollout):
        if stopped is not None or executor.cancel.is_set():
            for pod in batch.pods:
                outcomes.extend(Outcome(a.pod, a.action, False,
                                        f"not rolled out: {stopped} failed first; it keeps "
                                        "the old version" if stopped else "interrupted")
                                for a in groups[pod])
            continue
        done = _all(executor.run_group, [groups[p] for p in batch.pods])
        outcomes.extend(done)
        failed = [o.pod for o in done if not o.ok]
        if failed:
            stopped = failed[0]
            executor.log(f"rollout of {failed[0]} failed; the entry's remaining replicas keep "
                         "the old version")
    return outcomes


def execute(executor: Executor, actions: Sequence[PlanAction]) -> list[Outcome]:
    """Every entry in parallel, each as a rolling update."""
    entries: dict[str, dict[str, list[PlanAction]]] = {}
    rollouts: dict[str, Rollout] = {}
    for pod, group in _groups(actions).items():
        entry = _entry(group)
        entries.setdefault(entry, {})[pod] = group
        spec = next((a.desired.spec for a in group if a.desired and a.desired.spec), None)
        rollouts[entry] = spec.rollout if spec is not None else Rollout()
    if not entries:
        return []
    pool = ThreadPoolExecutor(max_workers=len(entries), thread_name_prefix="entry")
    outcomes: list[Outcome] = []
    try:
        futures = [pool.submit(_roll_entry, executor, groups, rollouts[entry])
                   for entry, groups in entries.items()]
        for future in futures:
            outcomes.extend(future.result())
    except BaseException:
        # ^C or SIGTERM: waits stop at their next look, so the lock can go.
        executor.cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return outcomes
