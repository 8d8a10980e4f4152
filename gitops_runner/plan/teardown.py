"""What `destroy` terminates, and the data that goes with it (CONTRACT §4, §7). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitops_runner.plan.changes import Destroyed
from gitops_runner.plan.observed import ObservedPod
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.plan.volumes import destroyed_volumes


@dataclass(frozen=True)
class Doomed:
    pod_id: str
    pod: str | None  # the logical name, when state or the pod's markers say it
    destroys: tuple[Destroyed, ...] = ()

    def describe(self) -> str:
        lost = "; ".join(d.describe() for d in self.destroys)
        return f"{self.pod or '?'}: pod {self.pod_id}" + (f" ({lost})" if lost else "")

    def to_json(self) -> dict[str, object]:
        return {"pod": self.pod, "pod_id": self.pod_id,
                "destroys": [d.to_json() for d in self.destroys]}


@dataclass(frozen=True)
class Teardown:
    doomed: list[Doomed]
    left_alone: list[tuple[str, str]]  # (pod id, why)


def teardown(stack: str, doc: StateDoc, observed: Sequence[ObservedPod]) -> Teardown:
    """Every managed pod of the stack (state or markers); pods forgotten with `state rm`
    and recorded pods of another stack stay."""
    by_id: dict[str, ObservedPod] = {p.id: p for p in observed}
    names = {r.id: name for name, r in doc.pods.items()}
    records = {r.id: r for r in doc.pods.values()}
    ids: set[str] = {p.id for p in observed if p.stack == stack and p.status != "TERMINATED"}
    ids |= set(names) | {i for r in doc.pods.values() for i in r.superseded}
    foreign: set[str] = {p.id for p in observed if p.stack is not None and p.stack != stack}
    left = [(i, "unmanaged since 'state rm'" if i in doc.unmanaged
             else "it carries another stack's markers")
            for i in sorted(ids & (set(doc.unmanaged) | foreign))]
    doomed = []
    for pod_id in sorted(ids - set(doc.unmanaged) - foreign):
        pod = by_id.get(pod_id)
        name = names.get(pod_id) or (pod.logical if pod is not None else None)
        doomed.append(Doomed(pod_id, name, destroyed_volumes(pod, records.get(pod_id))))
    return Teardown(sorted(doomed, key=lambda d: (d.pod or "", d.pod_id)), left)
