"""Power state (CONTRACT §11): whether plan and apply start or stop a pod, and what drift
says about a stopped one. Pure: the moment to judge windows at is an argument.

Three intents: `run` (the default: a stopped pod is started), `stop` (declared
`status: stopped`) and `schedule` (a pod with running windows: its power state is the
`schedule` command's business, so plan, apply and drift leave it alone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gitops_runner.config.model import PodSpec
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.observed import ALIVE, ObservedPod
from gitops_runner.plan.statefile import PodRecord, StateDoc


class PowerIntent(StrEnum):
    RUN = "run"
    STOP = "stop"
    SCHEDULE = "schedule"


RUN, STOP, SCHEDULE = PowerIntent.RUN, PowerIntent.STOP, PowerIntent.SCHEDULE
EXITED_OUTSIDE = "status: EXITED (stopped outside gitops-runner) -> start"


def intent(spec: PodSpec | None) -> PowerIntent:
    if spec is None:
        return RUN
    if spec.status == "stopped":
        return STOP
    return SCHEDULE if spec.schedule is not None else RUN


def stop_after_create(spec: PodSpec | None, now: datetime) -> bool:
    """A new pod is created and checked for readiness, then stopped when it should not run."""
    kind = intent(spec)
    if kind == STOP:
        return True
    return kind == SCHEDULE and spec is not None and spec.schedule is not None \
        and not spec.schedule.is_open(now)


def create_reasons(spec: PodSpec | None) -> tuple[str, ...]:
    """Why a new pod may be stopped after its check: time-independent, so a reviewed plan's
    fingerprint does not change when a window opens or closes before the merge."""
    kind = intent(spec)
    if kind == STOP:
        return ("declared stopped: created, checked for readiness, then stopped",)
    if kind == SCHEDULE and spec is not None and spec.schedule is not None:
        # "when": the plan does not know the time of the apply, and a pod created inside
        # its windows keeps running.
        return (f"scheduled ({spec.schedule.describe()}): when created outside its windows, "
                "it is checked for readiness, then stopped",)
    return ()


@dataclass(frozen=True)
class PowerChange:
    """What an existing pod's power state needs: a start, a stop, or both around an update."""

    start: bool = False
    stop: bool = False  # a stop action, or a stop after the update
    reason: str | None = None


def existing(spec: PodSpec | None, record: PodRecord | None, obs: ObservedPod,
             updating: bool) -> PowerChange:
    kind = intent(spec)
    exited = obs.status == "EXITED"
    if kind == RUN and exited:
        if record is not None and record.idle_stopped:
            return PowerChange(start=True, reason=f"idle-stopped at {record.idle_stopped} "
                                                  "(idle_stop) -> start")
        return PowerChange(start=True, reason=EXITED_OUTSIDE)
    if kind == STOP and obs.status in ALIVE:
        return PowerChange(stop=True, reason=f"status: {obs.status}, declared stopped -> stop")
    if exited and updating:
        # A stopped pod is started for its update, checked, then stopped again.
        return PowerChange(start=True, stop=True,
                           reason="stopped: started for the update, checked, then stopped again")
    return PowerChange()


def drift_status(spec: PodSpec | None, record: PodRecord, obs: ObservedPod) -> str | None:
    """The drift reason a pod's status gives, if any."""
    if obs.status == "ERROR":
        return "status: ERROR"
    kind = intent(spec)
    if obs.status == "EXITED":
        if kind in (STOP, SCHEDULE) or record.idle_stopped:
            return None
        return "status: EXITED"
    if kind == STOP and obs.status in ALIVE:
        return f"status: {obs.status}, but the deploy file declares it stopped"
    return None


def notes(desired: Sequence[DesiredPod], state: StateDoc,
          ours: Mapping[str, list[ObservedPod]]) -> list[str]:
    """Idle-stopped pods: worth a line in plan and drift, never a finding."""
    out = []
    for d in desired:
        record = state.pods.get(d.logical)
        if record is None or not record.idle_stopped:
            continue
        obs = next((p for p in ours.get(d.logical, []) if p.id == record.id), None)
        if obs is None or obs.status != "EXITED":
            continue
        when = ("starts at its next window opening" if intent(d.spec) == SCHEDULE else
                "the next apply starts it")
        out.append(f"{d.logical}: idle-stopped at {record.idle_stopped} by idle_stop; {when}, "
                   f"or 'gitops-runner schedule --start {d.logical}'")
    return out
