"""What `gitops-runner schedule` does to one pod at one moment (CONTRACT §11). Pure.

The schedule only starts and stops pods that state records and RunPod has; it never
creates, deletes or updates. Decisions, in order:

1. `--start POD` starts a stopped pod, whatever its windows or idle state say.
2. A pod declared `status: stopped` is apply's business: left alone.
3. Windows: a live pod whose window is closed is stopped; a stopped pod whose window is
   open is started, unless idle stop stopped it inside this same window (it waits for
   the next opening).
4. Idle stop: each run that reads a RUNNING pod's per-GPU utilisation records a sample.
   Idle is judged from at least 3 samples spanning `minutes`, never from one: the pod is
   stopped (and `idle_stopped` recorded) only when the trailing run of samples whose every
   GPU is below the threshold holds >= 3 samples from first to last >= `minutes` apart. A
   sample at or above the threshold resets the run. A pod listed without utilisation gives
   no sample (unknown is not idle) and leaves the run as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitops_runner.config.model import IdleStop, PodSpec
from gitops_runner.plan.observed import ALIVE, ObservedPod
from gitops_runner.plan.statefile import IdleSample, PodRecord

KEEP = object()  # a field left as it is
MIN_SAMPLES = 3  # CONTRACT §11: never judged from one sample
SAMPLE_LIMIT = 12  # samples kept per pod: the run's first (its start) and the newest others


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
    samples: object = KEEP  # tuple[IdleSample, ...], or KEEP
    idle_stopped: object = KEEP

    @property
    def writes(self) -> bool:
        return self.action is not None or self.samples is not KEEP \
            or self.idle_stopped is not KEEP


def idle_run(samples: Sequence[IdleSample], below: float) -> tuple[IdleSample, ...]:
    """The trailing samples whose every GPU is below `below` %: the current idle run."""
    run: list[IdleSample] = []
    for sample in samples:
        run = [*run, sample] if all(u < below for u in sample.util) else []
    return tuple(run)


def idle_minutes(run: Sequence[IdleSample]) -> float:
    return (parse_stamp(run[-1].at) - parse_stamp(run[0].at)).total_seconds() / 60 \
        if run else 0.0


def idle_due(run: Sequence[IdleSample], idle: IdleStop) -> bool:
    return len(run) >= MIN_SAMPLES and idle_minutes(run) + 1e-9 >= idle.minutes


def idle_since(record: PodRecord | None, idle: IdleStop | None) -> str | None:
    """Since when every GPU has been below the threshold, from the recorded samples."""
    if record is None or idle is None:
        return None
    run = idle_run(record.idle_samples, idle.gpu_util_below)
    return run[0].at if run else None


def record_sample(samples: Sequence[IdleSample], new: IdleSample,
                  idle: IdleStop) -> tuple[IdleSample, ...]:
    """The samples to keep after `new`: the idle run it extends (a busy sample resets it),
    bounded by dropping the oldest but the first, so the run's start and span survive."""
    run = idle_run((*samples, new), idle.gpu_util_below)
    if len(run) > SAMPLE_LIMIT:
        run = (run[0], *run[len(run) - SAMPLE_LIMIT + 1:])
    return run


def decide(spec: PodSpec, record: PodRecord, obs: ObservedPod, util: Sequence[float] | None,
           at: datetime, forced: bool = False) -> Decision:
    status = obs.status
    if forced:
        if status == "EXITED":
            return Decision("start", "started with --start", (), None)
        return Decision()
    if spec.status == "stopped":
        return Decision()
    if spec.schedule is not None:
        window = spec.schedule.describe()
        is_open = spec.schedule.is_open(at)
        if not is_open and status in ALIVE:
            return Decision("stop", f"outside its running windows ({window})", (), None)
        if is_open and status == "EXITED":
            opened = spec.schedule.opened_at(at)
            if record.idle_stopped and (opened is None or
                                        opened <= parse_stamp(record.idle_stopped)):
                return Decision()  # idle-stopped in this window: waits for the next opening
            return Decision("start", f"inside its running windows ({window})", (), None)
    return _idle(spec, record, obs, util, at)


def _idle(spec: PodSpec, record: PodRecord, obs: ObservedPod, util: Sequence[float] | None,
          at: datetime) -> Decision:
    idle = spec.idle_stop
    if idle is None or obs.status != "RUNNING":
        # Not judged (no idle_stop, or not running): a run in progress is over.
        stale = record.idle_samples or record.idle_since
        return Decision(samples=()) if stale else Decision()
    if util is None:
        return Decision()  # no utilisation listed: not a sample, neither idle nor busy
    samples = record_sample(record.idle_samples, IdleSample(stamp(at), tuple(util)), idle)
    if not idle_due(samples, idle):
        return Decision(samples=samples)
    return Decision("stop", f"idle: every GPU below {idle.gpu_util_below:g}% in "
                            f"{len(samples)} samples since {samples[0].at} "
                            f"({idle_minutes(samples):.0f} min >= {idle.minutes})",
                    (), stamp(at))


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
