"""What `gitops-runner schedule` does to one pod at one moment (CONTRACT §11). Pure.

The schedule only starts and stops pods that state records and RunPod has; it never
creates, deletes or updates. Decisions, in order:

1. `--start POD` starts a stopped pod, whatever its windows or idle state say.
2. A pod declared `status: stopped` is apply's business: left alone.
3. Windows: a live pod whose window is closed is stopped; a stopped pod whose window is
   open is started, unless idle stop stopped it inside this same window (it waits for
   the next opening).
4. Idle stop: a RUNNING pod whose every GPU is below the threshold gets `idle_since`
   (the first run that saw it idle); once idle for `minutes` or more, it is stopped and
   `idle_stopped` recorded. One sample at or above the threshold clears `idle_since`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitops_runner.config.model import PodSpec
from gitops_runner.plan.observed import ALIVE, ObservedPod
from gitops_runner.plan.statefile import PodRecord

KEEP = object()  # a field left as it is


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def gpu_utilisation(raw: Mapping[str, Any]) -> list[float] | None:
    """Per-GPU util from the pod list's runtime.gpus[] (None: not reported, e.g. not running)."""
    runtime = raw.get("runtime")
    gpus = runtime.get("gpus") if isinstance(runtime, Mapping) else None
    if not isinstance(gpus, list) or not gpus:
        return None
    values = [g.get("util") if isinstance(g, Mapping) else None for g in gpus]
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return numbers if len(numbers) == len(gpus) else None


@dataclass(frozen=True)
class Decision:
    action: str | None = None  # "start" | "stop" | None
    reason: str = ""
    idle_since: object = KEEP  # str | None, or KEEP
    idle_stopped: object = KEEP

    @property
    def writes(self) -> bool:
        return self.action is not None or self.idle_since is not KEEP \
            or self.idle_stopped is not KEEP


def decide(spec: PodSpec, record: PodRecord, obs: ObservedPod, util: Sequence[float] | None,
           at: datetime, forced: bool = False) -> Decision:
    status = obs.status
    if forced:
        if status == "EXITED":
            return Decision("start", "started with --start", None, None)
        return Decision()
    if spec.status == "stopped":
        return Decision()
    if spec.schedule is not None:
        window = spec.schedule.describe()
        is_open = spec.schedule.is_open(at)
        if not is_open and status in ALIVE:
            return Decision("stop", f"outside its running windows ({window})", None, None)
        if is_open and status == "EXITED":
            opened = spec.schedule.opened_at(at)
            if record.idle_stopped and (opened is None or
                                        opened <= parse_stamp(record.idle_stopped)):
                return Decision()  # idle-stopped in this window: waits for the next opening
            return Decision("start", f"inside its running windows ({window})", None, None)
    return _idle(spec, record, obs, util, at)


def _idle(spec: PodSpec, record: PodRecord, obs: ObservedPod, util: Sequence[float] | None,
          at: datetime) -> Decision:
    idle = spec.idle_stop
    if idle is None or obs.status != "RUNNING" or util is None:
        return Decision(idle_since=None) if record.idle_since and obs.status != "RUNNING" \
            else Decision()
    if any(u >= idle.gpu_util_below for u in util):
        return Decision(idle_since=None) if record.idle_since else Decision()
    if record.idle_since is None:
        return Decision(idle_since=stamp(at))
    minutes = (at - parse_stamp(record.idle_since)).total_seconds() / 60
    if minutes + 1e-9 < idle.minutes:
        return Decision()
    return Decision("stop", f"idle: every GPU below {idle.gpu_util_below:g}% since "
                            f"{record.idle_since} ({minutes:.0f} min >= {idle.minutes})",
                    None, stamp(at))


@dataclass(frozen=True)
class ScheduleEvent:
    pod: str
    action: str  # start | stop
    reason: str
    ok: bool = True
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"pod": self.pod, "action": self.action, "reason": self.reason, "ok": self.ok,
                "detail": self.detail}


@dataclass
class ScheduleResult:
    stack: str
    at: str
    events: list[ScheduleEvent] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)  # "pod: idle since ..." lines
    error: str | None = None
    unlock_errors: list[str] = field(default_factory=list)  # shown after the events
    rehearsal: bool = False  # `schedule --at`: what would happen; nothing was changed

    @property
    def failed(self) -> bool:
        return self.error is not None or any(not e.ok for e in self.events)
