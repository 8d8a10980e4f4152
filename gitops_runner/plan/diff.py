"""Desired vs state vs observed -> actions. Pure: no I/O, the clock is an argument."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from gitops_runner.plan import power
from gitops_runner.plan.compare import compare, doubt_mounts, spec_changes
from gitops_runner.plan.cost import PriceBook
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.model import PlanAction
from gitops_runner.plan.observed import ALIVE, ObservedPod, Ownership
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.plan.views import after_view, before_view


@dataclass(frozen=True)
class DiffResult:
    actions: list[PlanAction]
    unchanged: list[str]
    unchanged_cost: float
    notes: list[str]




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


def _age_hours(pod: ObservedPod, now: datetime) -> float | None:
    if pod.created_at is None:
        return None
    return (now - pod.created_at).total_seconds() / 3600


def _plain_keys(record: PodRecord | None) -> set[str]:
    """Env keys state says were applied as plain values: only these may be shown."""
    if record is None:
        return set()
    return {k for k, v in record.spec.get("env", {}).items() if not isinstance(v, dict)}


def _applied_env(record: PodRecord | None) -> set[str] | None:
    return set(record.spec.get("env", {})) if record is not None else None


def record_spec(want: DesiredPod) -> dict[str, object]:
    """What state keeps of a desired pod: the public body plus its GPU candidates."""
    body = dict(want.public_body)
    body["gpu"] = {**want.public_body["gpu"], "candidates": list(want.candidates)}
    return body


def refreshed_record(record: PodRecord, want: DesiredPod, updated_at: str) -> PodRecord:
    """State after a state-only action: the new spec, and the marker the pod keeps.

    The pod is not touched, so its GITOPS_RUNNER_SPEC still names the last spec
    really sent; `pod_marker` remembers it so drift does not report it.
    """
    return dataclasses.replace(record, spec_hash=want.spec_hash, spec=record_spec(want),
                   pod_marker=record.pod_marker or record.spec_hash, updated_at=updated_at)


def diff(desired: list[DesiredPod], state: StateDoc, ownership: Ownership,
         secrets: Mapping[str, str], prices: PriceBook, now: datetime,
         ttl_hours: float = 0) -> DiffResult:
    actions: list[PlanAction] = []
    unchanged: list[str] = []
    unchanged_cost = 0.0
    notes: list[str] = []
    wanted = {d.logical for d in desired}
    for want in desired:
        record = state.pods.get(want.logical)
        group = ownership.ours.get(want.logical, [])
        obs = _primary(group, record, want)
        superseded = set(record.superseded) if record else set()
        for extra in group:
            if obs is None or extra.id == obs.id:
                continue
            journaled = extra.id in superseded or bool(record and extra.id == record.id)
            reason = (f"replaced by pod {obs.id}; terminating {extra.id} once that is ready"
                      if journaled else
                      f"duplicate of pod {obs.id} made by our own create whose answer was "
                      f"lost (never recorded); terminating {extra.id} once that is ready "
                      "(not counted against allow_delete/max_deletes)")
            actions.append(PlanAction(
                want.logical, "delete", (reason,), before=before_view(extra, want, record),
                pod_id=extra.id, cost_before=extra.cost, wait_for=want.logical,
                duplicate=not journaled))
        observed_ids = {p.id for p in group}
        for gone in sorted(superseded - observed_ids):
            actions.append(PlanAction(want.logical, "delete", (
                f"replaced pod {gone} is already gone from RunPod; removing it from state",),
                before={"id": gone, "status": "GONE"}, wait_for=want.logical))
        if obs is None and record is not None and not_visible_yet(record, ownership, now):
            # RunPod's list lags its writes: a pod this tool wrote a moment ago and cannot
            # see yet is not gone. Planning a create now would make a duplicate.
            unchanged.append(want.logical)
            notes.append(f"{want.logical}: pod {record.id} was recorded at {record.updated_at} "
                         "and is not in RunPod's list yet (reads lag writes); left as it is")
            continue
        action = _pod_action(want, record, obs, secrets, prices, now, ttl_hours)
        if action is None:
            unchanged.append(want.logical)
            unchanged_cost += obs.cost if obs is not None else 0.0
            if obs is not None and obs.gpu_id != want.candidates[0]:
                notes.append(f"{want.logical}: running on fallback GPU {obs.gpu_id} "
                             f"(first choice {want.candidates[0]})")
        else:
            actions.append(action)
    for logical, group in sorted(ownership.ours.items()):
        if logical in wanted:
            continue
        for pod in group:
            actions.append(PlanAction(
                logical, "delete", ("not in the deploy file any more",),
                before=before_view(pod, None, state.pods.get(logical)), pod_id=pod.id,
                cost_before=pod.cost))
    for logical, record in sorted(state.pods.items()):
        if logical not in wanted and logical not in ownership.ours:
            actions.append(PlanAction(
                logical, "delete", (f"pod {record.id} is already gone from RunPod; "
                                    "removing it from state",)))
    return DiffResult(actions, unchanged, round(unchanged_cost, 4), notes)


LIST_LAG_SECONDS = 60.0


def not_visible_yet(record: PodRecord, ownership: Ownership, now: datetime) -> bool:
    """RunPod's visibility grace (CONTRACT §10): a recorded pod the list and a read by id
    do not show is given LIST_LAG_SECONDS from its last write, but only while it was
    never seen: a pod that passed its readiness check was visible, and one RunPod reports
    TERMINATED is gone, so either is missing now (apply re-creates it)."""
    if record.healthy or record.id in ownership.terminated:
        return False
    return _just_written(record, now)


def _just_written(record: PodRecord, now: datetime) -> bool:
    try:
        written = datetime.strptime(record.updated_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    return 0 <= (now - written).total_seconds() < LIST_LAG_SECONDS


def _pod_action(want: DesiredPod, record: PodRecord | None, obs: ObservedPod | None,
                secrets: Mapping[str, str], prices: PriceBook, now: datetime,
                ttl_hours: float) -> PlanAction | None:
    first_price = prices.pod_price(want.candidates[0], want.public_body["gpu"]["count"],
                                   want.public_body["cloud"])
    stop_new = power.stop_after_create(want.spec, now)
    new_cost = 0.0 if power.intent(want.spec) == power.STOP else first_price or 0.0
    if obs is None:
        reason = (f"pod {record.id} recorded in state is gone from RunPod"
                  if record is not None else "new pod")
        return PlanAction(want.logical, "create", (reason, *power.create_reasons(want.spec)),
                          after=after_view(want, want.candidates[0], first_price),
                          desired=want, cost_after=new_cost, stop_after=stop_new)
    # A pod adopted by its markers (a lost create) was made from a body like the desired.
    obs = doubt_mounts(obs, record.spec if record is not None and record.id == obs.id
                       else want.public_body)
    d = compare(obs, want, secrets, _plain_keys(record), _applied_env(record))
    replace = list(d.replace)
    if obs.status == "ERROR":
        replace.insert(0, "status: ERROR (the pod failed on RunPod)")
    age = _age_hours(obs, now)
    if ttl_hours and age is not None and age > ttl_hours:
        replace.append(f"expired: {age:.1f}h old, over ttl_hours {ttl_hours:g}")
    adopting = record is None or record.id != obs.id
    prefix = (f"adopting pod {obs.id} found by its markers (not in state)",) if adopting else ()
    before = before_view(obs, want, record)
    if replace:
        return PlanAction(want.logical, "replace", (*prefix, *replace, *d.update),
                          before=before, after=after_view(want, want.candidates[0], first_price),
                          pod_id=obs.id, desired=want, cost_before=obs.cost,
                          cost_after=new_cost, stop_after=stop_new)
    kept_price = obs.cost if obs.cost else (
        prices.pod_price(obs.gpu_id or "", obs.gpu_count, obs.cloud) or 0.0)
    reasons = list(d.update)
    patch = list(d.patch)
    if (not reasons and not adopting and record is not None
            and obs.spec_marker == want.spec_hash != record.spec_hash):
        # A crash between a PATCH and its journal entry: RunPod runs the desired spec,
        # state does not say so. Record it and check its readiness again.
        return PlanAction(want.logical, "adopt", (
            f"re-journal: pod {obs.id} already runs the desired spec, which state does not "
            "record (an earlier run stopped before recording its change); recording it and "
            "checking its readiness again",), before=before,
            after=after_view(want, obs.gpu_id or want.candidates[0], kept_price),
            pod_id=obs.id, desired=want, cost_before=obs.cost, cost_after=kept_price)
    # A change the pod already satisfies (a fallback GPU, a data center, a CUDA floor):
    # recorded in state only, since any PATCH would restart the container (CONTRACT §5).
    refresh = (not reasons and not adopting and record is not None and record.healthy
               and obs.spec_marker != want.spec_hash and record.spec_hash != want.spec_hash
               and not power.existing(want.spec, record, obs, updating=False).reason)
    if refresh:
        assert record is not None
        changed = spec_changes(record.spec, record_spec(want))
        return PlanAction(
            want.logical, "update", ("state only, no RunPod request: " + (
                "; ".join(changed) if changed else "placement settings changed")
                + " (the pod already satisfies it; a PATCH would restart it)",),
            before=before, after=after_view(want, obs.gpu_id or want.candidates[0], kept_price),
            pod_id=obs.id, state_only=True, desired=want, cost_before=obs.cost,
            cost_after=kept_price)
    if record is not None and not record.healthy and not adopting and not reasons:
        reasons.append("health check did not pass at the last apply; waiting for it again")
    pc = power.existing(want.spec, record, obs, updating=bool(reasons))
    after_cost = 0.0 if pc.stop and not pc.start or power.intent(want.spec) == power.STOP \
        else kept_price
    if pc.reason and reasons:
        reasons.insert(0, pc.reason)
    if reasons:
        return PlanAction(want.logical, "update", (*prefix, *reasons), before=before,
                          after=after_view(want, obs.gpu_id or want.candidates[0], kept_price),
                          pod_id=obs.id, patch_fields=tuple(dict.fromkeys(patch)),
                          start=pc.start, stop_after=pc.stop, desired=want,
                          cost_before=obs.cost, cost_after=after_cost)
    if pc.reason:
        return PlanAction(want.logical, "start" if pc.start else "stop", (*prefix, pc.reason),
                          before=before,
                          after=after_view(want, obs.gpu_id or want.candidates[0], kept_price),
                          pod_id=obs.id, start=pc.start, desired=want, cost_before=obs.cost,
                          cost_after=after_cost)
    if adopting:
        return PlanAction(want.logical, "adopt", prefix, before=before,
                          after=after_view(want, obs.gpu_id or want.candidates[0], kept_price),
                          pod_id=obs.id, desired=want, cost_before=obs.cost,
                          cost_after=kept_price)
    return None
