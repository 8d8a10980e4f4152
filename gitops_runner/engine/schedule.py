"""schedule (CONTRACT §11): under each stack's lock, start and stop pods to match their
running windows and idle stop, journaling state. Only start and stop: never a create,
delete or update. One pod list per stack (read under its lock) gives both the pods'
status and their per-GPU utilisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.journal import Journal
from gitops_runner.engine.locked import locked
from gitops_runner.engine.no_gpu import (
    no_free_gpu,
    recreate,
    stop_zero_gpu,
    wants_recreate,
    zero_gpus,
)
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.engine.writer import Writer
from gitops_runner.errors import GitopsError
from gitops_runner.plan.build import ownership_of
from gitops_runner.plan.desired import DesiredPod, desired_pods
from gitops_runner.plan.records import applied_pod, applied_spec
from gitops_runner.plan.schedule import (
    KEEP,
    MIN_SAMPLES,
    Decision,
    ScheduleEvent,
    ScheduleResult,
    decide,
    gpu_utilisation,
    idle_minutes,
    idle_run,
    stamp,
)
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.runpod.errors import CapacityError, RunPodError


@dataclass(frozen=True)
class Planned:
    want: DesiredPod
    pod_id: str
    decision: Decision


def _check_start(stacks: Sequence[Stack], start: Sequence[str]) -> None:
    known = {d.logical for s in stacks for d in desired_pods(s)}
    unknown = sorted(set(start) - known)
    if unknown:
        raise GitopsError(f"--start: no pod named {', '.join(unknown)} in the deploy files "
                          f"(pods: {', '.join(sorted(known))})")


def schedule_stacks(session: Session, stacks: Sequence[Stack], access: RunPodAccess,
                    at: datetime, start: Sequence[str] = ()) -> list[ScheduleResult]:
    """Every stack in turn; one stack's failure (lock held, state error) is reported and
    the others still run (CONTRACT §10)."""
    _check_start(stacks, start)
    results = []
    for stack in stacks:
        try:
            results.append(schedule_stack(session, stack, access, at, start))
        except GitopsError as exc:
            results.append(ScheduleResult(stack.name, stamp(at), error=str(exc)))
    return results


def schedule_stack(session: Session, stack: Stack, access: RunPodAccess, at: datetime,
                   start: Sequence[str] = ()) -> ScheduleResult:
    # A run whose lease is lost stops making changes (CONTRACT §7): the journal checks
    # the fence before every state write, the writer before every start or stop.
    with locked(session, stack, "schedule", unlock_errors=[]) as flow:
        writer = Writer(access.client, flow.fence)
        result = _schedule_locked(session, stack, flow.journal, access, writer, at, start)
        if result.events:
            flow.journal.history(session.identity.actor, "schedule", "",
                                 "failed" if result.failed else "converged")
    result.unlock_errors = flow.unlock_errors  # after the result, never instead of it
    return result


def planned(stack: Stack, doc: StateDoc, raw_pods: list[dict[str, Any]], at: datetime,
            start: Sequence[str] = ()) -> list[Planned]:
    """What the schedule decides for each applied pod of the stack at `at`, from state and
    one pod list: the one loop both the run and the rehearsal (--at) use."""
    by_id = {str(p.get("id")): p for p in raw_pods}
    desired = desired_pods(stack)
    ownership = ownership_of(stack, desired, raw_pods, doc)
    out = []
    for want in desired:
        record = doc.pods.get(want.logical)
        if record is None or want.spec is None:
            continue  # never applied: apply's business
        obs = next((p for p in ownership.ours.get(want.logical, []) if p.id == record.id), None)
        if obs is None:
            continue  # missing from RunPod: drift reports it, apply recreates it
        # The windows and idle stop state recorded at apply, never an unapplied file (§4);
        # so is the pod an on_no_gpu recreate makes: the body state recorded.
        spec = applied_spec(want.spec, record)
        acting = replace(applied_pod(want.logical, record), spec=spec,
                         volume_ids=want.volume_ids)
        decision = decide(spec, record, obs, gpu_utilisation(by_id.get(obs.id, {})), at,
                          forced=want.logical in start)
        out.append(Planned(acting, obs.id, decision))
    return out


def _schedule_locked(session: Session, stack: Stack, journal: Journal, access: RunPodAccess,
                     writer: Writer, at: datetime, start: Sequence[str]) -> ScheduleResult:
    result = ScheduleResult(stack.name, stamp(at))
    for p in planned(stack, journal.doc, access.client.list_pods(), at, start):
        logical, decision = p.want.logical, p.decision
        if decision.action is not None:
            result.events.append(_act(session, journal, access, writer, p.want, p.pod_id,
                                      decision))
        elif decision.writes:
            _journal(journal, logical, decision, {})
        current = journal.doc.pods.get(logical)
        idle = p.want.spec.idle_stop if p.want.spec is not None else None
        run = idle_run(current.idle_samples, idle.gpu_util_below) \
            if current is not None and idle is not None else ()
        if run and idle is not None and decision.action is None:
            result.idle.append(f"{logical}: every GPU below {idle.gpu_util_below:g}% "
                               f"since {run[0].at} ({len(run)} samples over "
                               f"{idle_minutes(run):.0f} min; stops at >= {MIN_SAMPLES} "
                               f"over >= {idle.minutes} min)")
    return result


def rehearse_stacks(session: Session, stacks: Sequence[Stack], access: RunPodAccess,
                    at: datetime, start: Sequence[str] = ()) -> list[ScheduleResult]:
    """`schedule --at TIME` (CONTRACT §11): what the schedule would do at TIME, from state
    and the pod list as they are now. No lock, no RunPod write, no state write."""
    _check_start(stacks, start)
    results = []
    raw_pods = access.client.list_pods()
    for stack in stacks:
        result = ScheduleResult(stack.name, stamp(at), rehearsal=True)
        try:
            doc = read_state(session, stack)[0]
        except GitopsError as exc:
            result.error = str(exc)
            results.append(result)
            continue
        for p in planned(stack, doc, raw_pods, at, start):
            logical, decision = p.want.logical, p.decision
            if decision.action is not None:
                result.events.append(ScheduleEvent(logical, decision.action, decision.reason))
            record = doc.pods.get(logical)
            idle = p.want.spec.idle_stop if p.want.spec is not None else None
            samples = decision.samples if decision.samples is not KEEP \
                else (record.idle_samples if record else ())
            run = idle_run(samples, idle.gpu_util_below) if idle is not None else ()  # type: ignore[arg-type]
            if run and decision.action is None:
                result.idle.append(f"{logical}: every GPU idle since {run[0].at} "
                                   f"({len(run)} samples over {idle_minutes(run):.0f} min)")
        results.append(result)
    return results


def _act(session: Session, journal: Journal, access: RunPodAccess, writer: Writer,
         want: DesiredPod, pod_id: str, decision: Decision) -> ScheduleEvent:
    action, logical = decision.action or "", want.logical
    session.log(f"{logical}: {action} pod {pod_id}: {decision.reason}")
    try:
        # A 409 is "already there" only when a re-read shows it; a locked pod's is not.
        pod = writer.start(pod_id) if action == "start" else writer.stop(pod_id)
    except CapacityError as exc:
        return _no_gpu(session, journal, access, want, pod_id, decision,
                       no_free_gpu(pod_id, exc.detail or str(exc)))
    except RunPodError as exc:
        session.log(f"{logical}: {action} failed: {exc}")
        return ScheduleEvent(logical, action, decision.reason, ok=False, detail=str(exc))
    if action == "start" and zero_gpus(pod):
        return _no_gpu(session, journal, access, want, pod_id, decision,
                       stop_zero_gpu(writer, pod_id))
    cost = 0.0 if action == "stop" else float((pod or {}).get("cost") or 0.0)
    _journal(journal, logical, decision, {"cost": cost})
    return ScheduleEvent(logical, action, decision.reason,
                         detail=f"{action} requested for pod {pod_id}")


def _no_gpu(session: Session, journal: Journal, access: RunPodAccess, want: DesiredPod,
            pod_id: str, decision: Decision, why: str) -> ScheduleEvent:
    """The start found no GPU: reported, or the pod recreated (CONTRACT §11)."""
    # `want` is the pod as state recorded it (planned()): a recreate makes the reviewed
    # pod again, never an unapplied file (CONTRACT §4, §11).
    if wants_recreate(want):
        ok, detail = recreate(session, journal, access, journal.doc.stack, want, pod_id, why)
        return ScheduleEvent(want.logical, "recreate", decision.reason, ok=ok, detail=detail)
    session.log(f"{want.logical}: {why}")
    return ScheduleEvent(want.logical, decision.action or "", decision.reason, ok=False,
                         detail=why)


def _journal(journal: Journal, logical: str, decision: Decision,
             extra: dict[str, Any]) -> None:
    changes: dict[str, Any] = dict(extra)
    if decision.samples is not KEEP:
        changes["idle_samples"] = decision.samples
        changes["idle_since"] = None  # the samples say it now (older states had a stamp)
    if decision.idle_stopped is not KEEP:
        changes["idle_stopped"] = decision.idle_stopped
    if decision.action is not None:
        changes["updated_at"] = journal.now_text()
    record = journal.doc.pods.get(logical)
    if record is not None and replace(record, **changes) != record:
        journal.edit_pod(logical, **changes)
