"""schedule (CONTRACT §11): under each stack's lock, start and stop pods to match their
running windows and idle stop, journaling state. Only start and stop: never a create,
delete or update. One pod list per stack (read under its lock) gives both the pods'
status and their per-GPU utilisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.fence import Fence
from gitops_runner.engine.journal import Journal, open_journal
from gitops_runner.engine.lock import held_lock
from gitops_runner.engine.no_gpu import (
    no_free_gpu,
    recreate,
    refused_transition,
    stop_zero_gpu,
    wants_recreate,
    zero_gpus,
)
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.errors import GitopsError
from gitops_runner.plan.build import ownership_of
from gitops_runner.plan.desired import DesiredPod, desired_pods
from gitops_runner.plan.schedule import (
    KEEP,
    Decision,
    ScheduleEvent,
    ScheduleResult,
    decide,
    gpu_utilisation,
    stamp,
)
from gitops_runner.runpod.errors import CapacityError, InvalidTransitionError, RunPodError
from gitops_runner.state.base import LockInfo


def schedule_stacks(session: Session, stacks: Sequence[Stack], access: RunPodAccess,
                    at: datetime, start: Sequence[str] = ()) -> list[ScheduleResult]:
    """Every stack in turn; one stack's failure (lock held, state error) is reported and
    the others still run (CONTRACT §10)."""
    known = {d.logical for s in stacks for d in desired_pods(s)}
    unknown = sorted(set(start) - known)
    if unknown:
        raise GitopsError(f"--start: no pod named {', '.join(unknown)} in the deploy files "
                          f"(pods: {', '.join(sorted(known))})")
    results = []
    for stack in stacks:
        try:
            results.append(schedule_stack(session, stack, access, at, start))
        except GitopsError as exc:
            results.append(ScheduleResult(stack.name, stamp(at), error=str(exc)))
    return results


def schedule_stack(session: Session, stack: Stack, access: RunPodAccess, at: datetime,
                   start: Sequence[str] = ()) -> ScheduleResult:
    store, locker = session.backend(stack)
    info = LockInfo.new("schedule", stack.name, session.identity)
    unlock_errors: list[str] = []
    fence = Fence(session.clock, stack=stack.name)
    # A run whose lease is lost stops making changes (CONTRACT §7): the journal checks
    # the fence before every state write, _act before every start or stop.
    with held_lock(locker, info, stack.state.lock.wait_seconds, session.log, session.clock,
                   fence, unlock_errors):
        journal = open_journal(store, stack, session.clock, fence=fence)
        result = _schedule_locked(session, stack, journal, access, at, start)
        if result.events:
            journal.history(session.identity.actor, "schedule", "",
                            "failed" if result.failed else "converged")
    result.unlock_errors = unlock_errors  # after the result, never instead of it
    return result


def _schedule_locked(session: Session, stack: Stack, journal: Journal, access: RunPodAccess,
                     at: datetime, start: Sequence[str]) -> ScheduleResult:
    result = ScheduleResult(stack.name, stamp(at))
    raw_pods = access.client.list_pods()
    by_id = {str(p.get("id")): p for p in raw_pods}
    desired = desired_pods(stack)
    ownership = ownership_of(stack, desired, raw_pods, journal.doc)
    for want in desired:
        record = journal.doc.pods.get(want.logical)
        if record is None or want.spec is None:
            continue  # never applied: apply's business
        obs = next((p for p in ownership.ours.get(want.logical, []) if p.id == record.id), None)
        if obs is None:
            continue  # missing from RunPod: drift reports it, apply recreates it
        decision = decide(want.spec, record, obs, gpu_utilisation(by_id.get(obs.id, {})), at,
                          forced=want.logical in start)
        if decision.action is not None:
            result.events.append(_act(session, journal, access, want, obs.id, decision))
        elif decision.writes:
            _journal(journal, want.logical, decision, {})
        current = journal.doc.pods.get(want.logical)
        if current is not None and current.idle_since and decision.action is None:
            result.idle.append(f"{want.logical}: every GPU idle since {current.idle_since}")
    return result


def _act(session: Session, journal: Journal, access: RunPodAccess, want: DesiredPod,
         pod_id: str, decision: Decision) -> ScheduleEvent:
    action, logical, client = decision.action or "", want.logical, access.client
    session.log(f"{logical}: {action} pod {pod_id}: {decision.reason}")
    pod: dict[str, Any] | None = None
    if journal.fence is not None:
        journal.fence.check()  # raises: the lease is gone, nothing more is sent
    try:
        try:
            pod = client.pod_action(pod_id, action)
        except InvalidTransitionError as exc:
            # 409: already in the wanted state (the goal is met), or locked (it is not).
            refused = refused_transition(client, pod_id, action, exc)
            if refused:
                session.log(f"{logical}: {refused}")
                return ScheduleEvent(logical, action, decision.reason, ok=False, detail=refused)
    except CapacityError as exc:
        return _no_gpu(session, journal, access, want, pod_id, decision,
                       no_free_gpu(pod_id, exc.detail or str(exc)))
    except RunPodError as exc:
        session.log(f"{logical}: {action} failed: {exc}")
        return ScheduleEvent(logical, action, decision.reason, ok=False, detail=str(exc))
    if action == "start" and zero_gpus(pod):
        return _no_gpu(session, journal, access, want, pod_id, decision,
                       stop_zero_gpu(access, pod_id))
    cost = 0.0 if action == "stop" else float((pod or {}).get("cost") or 0.0)
    _journal(journal, logical, decision, {"cost": cost})
    return ScheduleEvent(logical, action, decision.reason,
                         detail=f"{action} requested for pod {pod_id}")


def _no_gpu(session: Session, journal: Journal, access: RunPodAccess, want: DesiredPod,
            pod_id: str, decision: Decision, why: str) -> ScheduleEvent:
    """The start found no GPU: reported, or the pod recreated (CONTRACT §11)."""
    if wants_recreate(want):
        ok, detail = recreate(session, journal, access, journal.doc.stack, want, pod_id, why)
        return ScheduleEvent(want.logical, "recreate", decision.reason, ok=ok, detail=detail)
    session.log(f"{want.logical}: {why}")
    return ScheduleEvent(want.logical, decision.action or "", decision.reason, ok=False,
                         detail=why)


def _journal(journal: Journal, logical: str, decision: Decision,
             extra: dict[str, Any]) -> None:
    changes: dict[str, Any] = dict(extra)
    if decision.idle_since is not KEEP:
        changes["idle_since"] = decision.idle_since
    if decision.idle_stopped is not KEEP:
        changes["idle_stopped"] = decision.idle_stopped
    if decision.action is not None:
        changes["updated_at"] = journal.now_text()
    record = journal.doc.pods.get(logical)
    if record is not None and replace(record, **changes) != record:
        journal.edit_pod(logical, **changes)
