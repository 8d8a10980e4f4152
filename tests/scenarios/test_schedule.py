"""`schedule` end to end against the simulator: windows across a week (a DST change and a
window crossing midnight), idempotence, idle stop across runs, drift and apply after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.engine.observe import drift_stacks, plan_stacks
from gitops_runner.engine.schedule import schedule_stacks
from gitops_runner.plan.schedule import ScheduleResult
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Fault, World
from gitops_runner.state.local import LocalStateStore
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

WEEK = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
    schedule:
      timezone: Europe/Paris
      running: ["Mon-Fri 08:00-20:00", "Sat 22:00-02:00"]
"""
IDLE = """
pods:
  - name: idle
    gpu: {type: NVIDIA GeForce RTX 4090, count: 2}
    runtime: {image: "img:1"}
    idle_stop: {gpu_util_below: 5, minutes: 60}
  - name: busy
    gpu: {type: NVIDIA GeForce RTX 4090, count: 2}
    runtime: {image: "img:1"}
    idle_stop: {gpu_util_below: 5, minutes: 60}
"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Runner:
    def __init__(self, sim: Simulator, world: World, state_dir: Path, clock: ScaledClock,
                 pods: str) -> None:
        self.sim, self.world = sim, world
        self.client = RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
        self.logs: list[str] = []
        self.session = make_session(self.logs.append, clock)
        self.stack: Stack = stack_from_yaml(pods, f"state: {{path: {state_dir}}}\n")
        self.store = LocalStateStore(str(state_dir), "demo", "prod")

    def apply(self) -> ApplyResult:
        return apply_stack(self.session, self.stack, sim_access(self.sim, self.client), {},
                           ApplyOptions())

    def schedule(self, at: datetime, start: tuple[str, ...] = ()) -> ScheduleResult:
        (result,) = schedule_stacks(self.session, [self.stack], sim_access(self.sim, self.client),
                                    at, start)
        return result

    def writes(self) -> list[tuple[str, str]]:
        """RunPod requests other than the pod list, since the last call."""
        out = [r for r in self.world.requests if r != ("GET", "/v2/pods")]
        self.world.requests.clear()
        return out

    def pod_id(self, logical: str) -> str:
        doc = self.store.read().doc
        assert doc is not None
        return doc.pods[logical].id

    def serial(self) -> int:
        doc = self.store.read().doc
        return doc.serial if doc else 0


@pytest.fixture
def week(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Runner:
    runner = Runner(fast_sim, fast_world, tmp_path, vclock, WEEK)
    assert runner.apply().converged
    runner.writes()
    return runner


def test_schedule_across_a_week_sends_exactly_the_expected_starts_and_stops(week: Runner) -> None:
    # Friday 2026-10-23 09:05 Paris (summer time): inside the weekday window.
    week.schedule(utc("2026-10-23T09:05:00+02:00"))
    week.writes()
    pod = week.pod_id("api")
    seen = []
    at = utc("2026-10-23T08:05:00Z")
    while at <= utc("2026-10-30T08:05:00Z"):  # hourly, as the scheduled workflow runs
        result = week.schedule(at)
        assert not result.failed
        for event in result.events:
            seen.append((at.strftime("%a %d %H:%MZ"), event.action))
        assert week.writes() == [("POST", f"/v2/pods/{pod}/action")] * len(result.events)
        at += timedelta(hours=1)
    assert seen == [
        ("Fri 23 18:05Z", "stop"),   # 20:05 CEST: the weekday window closed at 20:00
        ("Sat 24 20:05Z", "start"),  # 22:05 CEST: Saturday night's window opened
        ("Sun 25 00:05Z", "stop"),   # 02:05 CEST, an hour before clocks go back: closed at 02:00
        ("Mon 26 07:05Z", "start"),  # 08:05 CET: winter time now, so an hour later in UTC
        ("Mon 26 19:05Z", "stop"),
        ("Tue 27 07:05Z", "start"), ("Tue 27 19:05Z", "stop"),
        ("Wed 28 07:05Z", "start"), ("Wed 28 19:05Z", "stop"),
        ("Thu 29 07:05Z", "start"), ("Thu 29 19:05Z", "stop"),
        ("Fri 30 07:05Z", "start"),
    ]


def test_schedule_second_run_at_the_same_time_changes_nothing(week: Runner) -> None:
    at = utc("2026-12-04T20:05:00+01:00")  # Friday evening: the window has closed
    week.schedule(utc("2026-12-04T12:00:00+01:00"))
    week.writes()
    first = week.schedule(at)
    assert [e.action for e in first.events] == ["stop"]
    assert len(week.writes()) == 1
    serial = week.serial()
    again = week.schedule(at)
    assert again.events == [] and week.writes() == [] and week.serial() == serial


def test_schedule_never_creates_deletes_or_updates(week: Runner) -> None:
    week.world.pods[week.pod_id("api")].image = "changed-by-hand"
    week.schedule(utc("2026-12-05T12:00:00+01:00"))  # Saturday noon: closed
    assert all(path.endswith("/action") for _, path in week.writes())
    assert week.world.pods[week.pod_id("api")].image == "changed-by-hand"


def test_schedule_start_that_finds_no_free_gpu_says_so(week: Runner) -> None:
    week.schedule(utc("2026-12-05T12:00:00+01:00"))  # stopped (or already so)
    week.world.faults.append(Fault("POST /v2/pods/*", "capacity"))
    result = week.schedule(utc("2026-12-07T09:00:00+01:00"))  # Monday morning
    (event,) = result.events
    assert result.failed and not event.ok
    assert "cannot start: its host has no free GPU" in event.detail
    assert "terminate it on RunPod and run apply" in event.detail


def test_drift_is_clean_for_a_pod_stopped_by_its_schedule(week: Runner) -> None:
    week.schedule(utc("2026-12-05T12:00:00+01:00"))
    (result,) = drift_stacks(week.session, [week.stack], week.client, {})
    assert result.findings == []
    (planned,) = plan_stacks(week.session, [week.stack], week.client, {})
    assert planned.plan.actions == ()


@pytest.fixture
def idle(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Runner:
    runner = Runner(fast_sim, fast_world, tmp_path, vclock, IDLE)
    assert runner.apply().converged
    runner.world.pods[runner.pod_id("idle")].gpu_util = [2, 4]
    runner.world.pods[runner.pod_id("busy")].gpu_util = [1, 70]  # one busy GPU: not idle
    runner.writes()
    return runner


def test_idle_stop_stops_a_pod_idle_for_its_minutes_across_runs(idle: Runner) -> None:
    t0 = utc("2026-12-07T10:00:00Z")
    assert idle.schedule(t0).events == []
    samples = idle.store.read().doc.pods["idle"].idle_samples  # type: ignore[union-attr]
    assert [(s.at, s.util) for s in samples] == [("2026-12-07T10:00:00Z", (2.0, 4.0))]
    assert idle.store.read().doc.pods["busy"].idle_samples == ()  # type: ignore[union-attr]
    assert idle.schedule(t0 + timedelta(minutes=30)).events == []
    result = idle.schedule(t0 + timedelta(minutes=60))
    assert [(e.pod, e.action) for e in result.events] == [("idle", "stop")]
    assert "idle: every GPU below 5% in 3 samples since 2026-12-07T10:00:00Z (60 min >= 60)" in \
        result.events[0].reason
    assert idle.writes() == [("POST", f"/v2/pods/{idle.pod_id('idle')}/action")]
    record = idle.store.read().doc.pods["idle"]  # type: ignore[union-attr]
    assert (record.idle_samples, record.idle_stopped) == ((), "2026-12-07T11:00:00Z")
    # Later runs leave it stopped: no window, so only apply or --start bring it back.
    assert idle.schedule(t0 + timedelta(hours=5)).events == []
    assert idle.writes() == []


def test_idle_since_resets_when_a_gpu_gets_busy(idle: Runner) -> None:
    t0 = utc("2026-12-07T10:00:00Z")
    idle.schedule(t0)
    idle.world.pods[idle.pod_id("idle")].gpu_util = [2, 40]
    idle.schedule(t0 + timedelta(minutes=30))
    idle.world.pods[idle.pod_id("idle")].gpu_util = [0, 0]
    assert idle.schedule(t0 + timedelta(minutes=61)).events == []  # idle again only since 11:01
    assert idle.schedule(t0 + timedelta(minutes=120)).events == []  # 2 samples, 59 minutes
    assert idle.writes() == []
    result = idle.schedule(t0 + timedelta(minutes=121))
    assert "in 3 samples since 2026-12-07T11:01:00Z (60 min >= 60)" in result.events[0].reason


def test_one_idle_reading_after_a_long_gap_does_not_stop(idle: Runner) -> None:
    t0 = utc("2026-12-07T10:00:00Z")
    idle.schedule(t0)
    result = idle.schedule(t0 + timedelta(hours=6))  # 2 samples, however far apart
    assert result.events == []
    assert result.idle == ["idle: every GPU below 5% since 2026-12-07T10:00:00Z "
                           "(2 samples over 360 min; stops at >= 3 over >= 60 min)"]
    assert idle.writes() == []


def test_idle_stopped_pod_is_a_drift_note_then_started_by_apply(idle: Runner) -> None:
    t0 = utc("2026-12-07T10:00:00Z")
    idle.schedule(t0)
    idle.schedule(t0 + timedelta(minutes=45))
    idle.schedule(t0 + timedelta(minutes=90))
    (drift,) = drift_stacks(idle.session, [idle.stack], idle.client, {})
    assert drift.findings == []
    assert drift.notes == ["idle: idle-stopped at 2026-12-07T11:30:00Z by idle_stop; the next "
                           "apply starts it, or 'gitops-runner schedule --start idle'"]
    (planned,) = plan_stacks(idle.session, [idle.stack], idle.client, {})
    assert [(a.pod, a.action, a.reasons) for a in planned.plan.actions] == [
        ("idle", "start", ("idle-stopped at 2026-12-07T11:30:00Z (idle_stop) -> start",))]
    result = idle.apply()
    assert result.converged and result.count("start") == 1
    assert idle.store.read().doc.pods["idle"].idle_stopped is None  # type: ignore[union-attr]


def test_schedule_start_option_starts_an_idle_stopped_pod(idle: Runner) -> None:
    t0 = utc("2026-12-07T10:00:00Z")
    idle.schedule(t0)
    idle.schedule(t0 + timedelta(minutes=45))
    idle.schedule(t0 + timedelta(minutes=90))
    assert idle.store.read().doc.pods["idle"].idle_stopped  # type: ignore[union-attr]
    idle.writes()
    result = idle.schedule(t0 + timedelta(hours=2), start=("idle",))
    assert [(e.pod, e.action, e.reason) for e in result.events] == [
        ("idle", "start", "started with --start")]
    assert idle.store.read().doc.pods["idle"].idle_stopped is None  # type: ignore[union-attr]


def test_a_running_pod_listed_without_utilisation_is_never_judged_idle(idle: Runner) -> None:
    # RUNPOD.md §8.4: RUNNING is reported before `runtime` (and its gpus[].util) appears;
    # the simulator models it with ports_after. Unknown is not idle: no sample, no stop.
    idle.world.settings.ports_after = 10**9
    t0 = utc("2026-12-07T10:00:00Z")
    for minutes in (0, 30, 60, 90, 120):
        assert idle.schedule(t0 + timedelta(minutes=minutes)).events == []
    assert idle.store.read().doc.pods["idle"].idle_samples == ()  # type: ignore[union-attr]
    assert idle.writes() == []
