"""Desired vs state vs observed -> actions. Pure: no I/O, the clock is an argument."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from gitops_runner.plan.changes import ActionKind
from gitops_runner.plan.cost import PriceBook
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.model import PlanAction
from gitops_runner.plan.observed import ALIVE, ObservedPod, Ownership
from gitops_runner.plan.pod_action import pod_action
from gitops_runner.plan.records import just_written
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.plan.views import before_view
from gitops_runner.plan.volumes import destroyed_volumes

LIST_LAG_SECONDS = 60.0


@dataclass(frozen=True)
class DiffResult:
    actions: list[PlanAction]
    unchanged: list[str]
    unchanged_cost: float
    notes: list[str]
    errors: list[str] = field(default_factory=list)  # the plan cannot be carried out


@dataclass(frozen=True)
class Inputs:
    """What every pod's decision reads besides the pod itself."""

    state: StateDoc
    ownership: Ownership
    secrets: Mapping[str, str]
    prices: PriceBook
    now: datetime
    ttl_hours: float = 0
    # to logical name -> from logical name, for `moved` entries that apply (CONTRACT §4).
    moved: Mapping[str, str] = field(default_factory=dict)

    def record(self, logical: str) -> PodRecord | None:
        return self.state.pods.get(self.moved.get(logical, logical))

    def group(self, logical: str) -> list[ObservedPod]:
        return self.ownership.ours.get(self.moved.get(logical, logical), [])


def _primary(group: list[ObservedPod], record: PodRecord | None,
             want: DesiredPod) -> ObservedPod | None:
    """The pod that is this logical pod; the rest of the group are to be terminated."""
    if not group:
        return None
    recorded = next((p for p in group if record is not None and p.id == record.id), None)
    current = [p for p in group if p.spec_marker == want.spec_hash and p.status in ALIVE]
    if recorded is not None and (recorded.spec_marker == want.spec_hash or not current):
        return recorded
    if current:
        # A replacement created by a run that died before journaling it.
        return current[0]
    alive = [p for p in group if p.status in ALIVE]
    return (alive or group)[0]


def moved_names(moved: Mapping[str, str], wanted: set[str], state: StateDoc,
                ownership: Ownership) -> dict[str, str]:
    """`moved` entry renames as logical names (replicas keep their suffix): applied when
    the new name has nothing yet and the old name is no longer declared."""
    out: dict[str, str] = {}
    known = set(state.pods) | set(ownership.ours)
    for old_entry, new_entry in moved.items():
        for old in sorted(known):
            if old != old_entry and not old.startswith(old_entry + "-"):
                continue
            new = new_entry + old[len(old_entry):]
            if new in wanted and old not in wanted and new not in known:
                out[new] = old
    return out


def _moves_not_applied(moved: Mapping[str, str], inputs: Inputs,
                       wanted: set[str]) -> list[str]:
    """A `moved` entry whose new name already has a pod is not applied: say so, since the
    old pod is then deleted as undeclared (and its volume with it, if allowed)."""
    known = set(inputs.state.pods) | set(inputs.ownership.ours)
    applied = set(inputs.moved.values())
    return [f"moved {old} -> {new_entry + old[len(old_entry):]} is not applied: "
            f"{new_entry + old[len(old_entry):]} already has a pod, so {old} is not kept"
            for old_entry, new_entry in sorted(moved.items()) for old in sorted(known)
            if (old == old_entry or old.startswith(old_entry + "-")) and old not in applied
            and old not in wanted]


def diff(desired: list[DesiredPod], state: StateDoc, ownership: Ownership,
         secrets: Mapping[str, str], prices: PriceBook, now: datetime,
         ttl_hours: float = 0, moved: Mapping[str, str] | None = None) -> DiffResult:
    wanted = {d.logical for d in desired}
    inputs = Inputs(state, ownership, secrets, prices, now, ttl_hours,
                    moved_names(moved or {}, wanted, state, ownership))
    result = DiffResult([], [], 0.0, _moves_not_applied(moved or {}, inputs, wanted))
    cost = 0.0
    for want in desired:
        cost += _desired_pod(want, inputs, result)
    result.actions.extend(_removed(wanted, inputs))
    return DiffResult(result.actions, result.unchanged, round(cost, 4), result.notes,
                      result.errors)


def _desired_pod(want: DesiredPod, inputs: Inputs, result: DiffResult) -> float:
    """Adds this pod's actions (or its unchanged line) to `result`; its unchanged cost."""
    record, group = inputs.record(want.logical), inputs.group(want.logical)
    obs = _primary(group, record, want)
    result.actions.extend(_leftovers(want, record, group, obs))
    if obs is None and record is not None and not_visible_yet(record, inputs.ownership,
                                                              inputs.now):
        # RunPod's list lags its writes: a pod this tool wrote a moment ago and cannot
        # see yet is not gone. Planning a create now would make a duplicate.
        result.unchanged.append(want.logical)
        result.notes.append(f"{want.logical}: pod {record.id} was recorded at "
                            f"{record.updated_at} and is not in RunPod's list yet (reads lag "
                            "writes); left as it is")
        return 0.0
    decided = pod_action(want, record, obs, inputs.secrets, inputs.prices, inputs.now,
                         inputs.ttl_hours, inputs.moved.get(want.logical))
    result.errors.extend(decided.errors)
    if decided.action is not None:
        result.actions.append(decided.action)
        return 0.0
    result.unchanged.append(want.logical)
    if obs is not None and obs.gpu_id != want.candidates[0]:
        result.notes.append(f"{want.logical}: running on fallback GPU {obs.gpu_id} "
                            f"(first choice {want.candidates[0]})")
    return obs.cost if obs is not None else 0.0


def not_visible_yet(record: PodRecord, ownership: Ownership, now: datetime) -> bool:
    """RunPod's visibility grace (CONTRACT §10): a recorded pod the list and a read by id
    do not show is given LIST_LAG_SECONDS from its last write, but only while it was
    never seen: a pod that passed its readiness check was visible, and one RunPod reports
    TERMINATED is gone, so either is missing now (apply re-creates it)."""
    if record.healthy or record.id in ownership.terminated:
        return False
    return just_written(record, now, LIST_LAG_SECONDS)


def _leftovers(want: DesiredPod, record: PodRecord | None, group: list[ObservedPod],
               obs: ObservedPod | None) -> list[PlanAction]:
    """Deletes of the group's other pods: replaced ones, and our own lost creates."""
    actions = []
    superseded = set(record.superseded) if record else set()
    for extra in group:
        if obs is None or extra.id == obs.id:
            continue
        journaled = extra.id in superseded or bool(record and extra.id == record.id)
        note = (f"replaced by pod {obs.id}; terminating {extra.id} once that is ready"
                if journaled else
                f"duplicate of pod {obs.id} made by our own create whose answer was "
                f"lost (never recorded); terminating {extra.id} once that is ready "
                "(not counted against allow_delete/max_deletes)")
        actions.append(PlanAction(
            want.logical, ActionKind.DELETE, notes=(note,), before=before_view(extra, want, record),
            pod_id=extra.id, cost_before=extra.cost, wait_for=want.logical,
            duplicate=not journaled, destroys=destroyed_volumes(extra, record)))
    for gone in sorted(superseded - {p.id for p in group}):
        actions.append(PlanAction(want.logical, ActionKind.DELETE, notes=(
            f"replaced pod {gone} is already gone from RunPod; removing it from state",),
            before={"id": gone, "status": "GONE"}, wait_for=want.logical))
    return actions


def _removed(wanted: set[str], inputs: Inputs) -> list[PlanAction]:
    """Pods no longer declared (and not moved): deleted, or dropped from state if gone."""
    actions = []
    moved_away = set(inputs.moved.values())
    for logical, group in sorted(inputs.ownership.ours.items()):
        if logical in wanted or logical in moved_away:
            continue
        record = inputs.state.pods.get(logical)
        for pod in group:
            actions.append(PlanAction(
                logical, ActionKind.DELETE, notes=("not in the deploy file any more",),
                before=before_view(pod, None, record), pod_id=pod.id, cost_before=pod.cost,
                destroys=destroyed_volumes(pod, record)))
    for logical, record in sorted(inputs.state.pods.items()):
        if logical not in wanted and logical not in inputs.ownership.ours \
                and logical not in moved_away:
            actions.append(PlanAction(logical, ActionKind.DELETE, notes=(
                f"pod {record.id} is already gone from RunPod; removing it from state",)))
    return actions

