"""Rolling updates, the pure part (CONTRACT §10): which replicas change together.

An in-place update restarts its replica on RunPod, so a batch of updates holds at
most `max_unavailable`; a replace creates the new pod first (a surge), so a batch
of replaces holds at most `max_surge`. The engine carries the batches out; the plan
shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitops_runner.config.model import Rollout
from gitops_runner.plan.model import PlanAction

DISRUPTIVE = ("update", "replace")


@dataclass(frozen=True)
class Batch:
    kind: str  # "update" | "replace"
    pods: tuple[str, ...]


def groups_by_pod(actions: Sequence[PlanAction]) -> dict[str, list[PlanAction]]:
    groups: dict[str, list[PlanAction]] = {}
    for action in actions:
        groups.setdefault(action.pod, []).append(action)
    return groups


def entry_of(group: list[PlanAction]) -> str:
    for action in group:
        if action.desired is not None and action.desired.spec is not None:
            return action.desired.spec.name
    return f"(removed) {group[0].pod}"


def main_kind(group: list[PlanAction]) -> str:
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


@dataclass(frozen=True)
class EntryRollout:
    """How one pod entry's actions go: the pods whose change takes nothing away (new and
    removed replicas) at once, the changing ones in `batches`."""

    entry: str
    groups: dict[str, list[PlanAction]]  # pod -> its actions
    steady: tuple[str, ...]
    batches: tuple[Batch, ...]


def rollout_of(actions: Sequence[PlanAction]) -> list[EntryRollout]:
    """The one place batches are decided: the plan shows them, the engine runs them."""
    entries: dict[str, dict[str, list[PlanAction]]] = {}
    rollouts: dict[str, Rollout] = {}
    for pod, group in groups_by_pod(actions).items():
        entry = entry_of(group)
        entries.setdefault(entry, {})[pod] = group
        spec = next((a.desired.spec for a in group if a.desired and a.desired.spec), None)
        rollouts[entry] = spec.rollout if spec is not None else Rollout()
    out = []
    for entry, groups in entries.items():
        changing = sorted((pod, main_kind(g)) for pod, g in groups.items()
                          if main_kind(g) in DISRUPTIVE)
        steady = tuple(pod for pod, g in groups.items() if main_kind(g) not in DISRUPTIVE)
        out.append(EntryRollout(entry, groups, steady,
                                tuple(batches(changing, rollouts[entry]))))
    return out


def plan_batches(actions: Sequence[PlanAction]) -> dict[str, list[Batch]]:
    """The batches each entry's changing replicas will go in, for the plan to show."""
    return {e.entry: list(e.batches) for e in rollout_of(actions) if e.batches}
