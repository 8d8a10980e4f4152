"""A schedule across a night in which another tenant takes the stopped pod's GPU
(CONTRACT §11, RUNPOD.md §8c): the morning start is reported (default), or the pod is
recreated (`schedule.on_no_gpu: recreate`), or a zero-GPU start is stopped again and
reported; never silently down."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitops_runner.config import parse_stack
from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.engine.schedule import schedule_stacks
from gitops_runner.plan.schedule import ScheduleResult
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from gitops_runner.state.local import LocalStateStore
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access

FRIDAY_NOON = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # 12:00 Paris: window open
FRIDAY_EVENING = datetime(2026, 12, 4, 20, 5, tzinfo=UTC)  # 21:05 Paris: window closed
MONDAY_MORNING = datetime(2026, 12, 7, 8, 5, tzinfo=UTC)  # 09:05 Paris: window open


def stack_text(tmp_path: Path, on_no_gpu: str | None) -> str:
    extra = f", on_no_gpu: {on_no_gpu}" if on_no_gpu else ""
    return f"""version: 1
project: {{name: demo, environment: prod}}
state: {{path: {tmp_path}}}
pods:
  - name: api
    gpu: {{type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000]}}
    runtime: {{image: "img:1"}}
    schedule: {{timezone: Europe/Paris, running: ["Mon-Fri 08:00-20:00"]{extra}}}
"""


def stack(tmp_path: Path, on_no_gpu: str | None) -> Stack:
    parsed, problems = parse_stack("deploy.yaml", stack_text(tmp_path, on_no_gpu).encode())
    assert problems == [] and parsed is not None, [str(p) for p in problems]
    return parsed


class Night:
    def __init__(self, sim: Simulator, world: World, tmp_path: Path, clock: ScaledClock,
                 on_no_gpu: str | None) -> None:
        self.sim, self.world = sim, world
        self.client = RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
        self.logs: list[str] = []
        self.session = make_session(self.logs.append, clock)
        self.stack = stack(tmp_path, on_no_gpu)
        self.store = LocalStateStore(str(tmp_path), "demo", "prod")
        assert apply_stack(self.session, self.stack, sim_access(sim, self.client, 0.2), {},
                           ApplyOptions()).converged

    def schedule(self, at: datetime) -> ScheduleResult:
        (result,) = schedule_stacks(self.session, [self.stack],
                                    sim_access(self.sim, self.client, 0.2), at)
        return result

    def recorded_id(self) -> str:
        doc = self.store.read().doc
        assert doc is not None
        return doc.pods["api"].id

    def overnight(self) -> str:
        """Stop in the evening; another tenant rents the GPU during the night."""
        pod_id = self.recorded_id()
        noon = self.schedule(FRIDAY_NOON)  # apply may have stopped it outside its window
        assert all(e.ok for e in noon.events)
        evening = self.schedule(FRIDAY_EVENING)
        assert [(e.action, e.ok) for e in evening.events] == [("stop", True)]
        self.world.tenant_takes_gpu(pod_id)
        return pod_id


@pytest.mark.parametrize("on_no_gpu", [None, "report"])
def test_morning_start_without_gpu_is_reported_with_the_fix(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock,
        on_no_gpu: str | None) -> None:
    night = Night(fast_sim, fast_world, tmp_path, vclock, on_no_gpu)
    pod_id = night.overnight()
    morning = night.schedule(MONDAY_MORNING)
    (event,) = morning.events
    assert morning.failed and not event.ok and event.action == "start"
    assert "There are not enough free GPUs on the host machine" in event.detail
    assert "schedule.on_no_gpu: recreate" in event.detail
    assert night.client.get_pod(pod_id)["status"] == "EXITED"  # kept: its volume, its id
    assert night.recorded_id() == pod_id


def test_morning_start_without_gpu_recreates_the_pod(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> None:
    night = Night(fast_sim, fast_world, tmp_path, vclock, "recreate")
    old = night.overnight()
    morning = night.schedule(MONDAY_MORNING)
    (event,) = morning.events
    assert not morning.failed and event.ok and event.action == "recreate", event.detail
    new = night.recorded_id()
    assert new != old and night.client.get_pod(new)["status"] == "RUNNING"
    assert fast_world.pods[old].terminated  # terminated once the new pod was ready


def test_zero_gpu_start_is_stopped_again_and_reported(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> None:
    fast_world.settings.no_gpu_start = "zero"
    night = Night(fast_sim, fast_world, tmp_path, vclock, None)
    pod_id = night.overnight()
    morning = night.schedule(MONDAY_MORNING)
    (event,) = morning.events
    assert morning.failed and not event.ok
    assert "started with zero GPUs" in event.detail and "stopped again" in event.detail
    assert fast_world.pods[pod_id].stopped  # not left running (and billed) without a GPU


def test_on_no_gpu_recreate_is_refused_for_a_pod_with_a_volume() -> None:
    text = b"""version: 1
project: {name: demo}
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    volume: {size_gb: 20, path: /workspace}
    runtime: {image: "img:1"}
    schedule: {timezone: UTC, running: ["daily 08:00-20:00"], on_no_gpu: recreate}
"""
    _, problems = parse_stack("deploy.yaml", text)
    assert [p.line for p in problems] == [8]
    assert "recreate terminates the pod, and its pod volume with it" in problems[0].message


def test_evening_stop_of_a_locked_pod_says_it_is_locked(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> None:
    night = Night(fast_sim, fast_world, tmp_path, vclock, None)
    night.schedule(FRIDAY_NOON)
    night.client.update_pod(night.recorded_id(), {"locked": True})
    evening = night.schedule(FRIDAY_EVENING)
    (event,) = evening.events
    assert evening.failed and not event.ok and "is locked on RunPod" in event.detail
    assert night.client.get_pod(night.recorded_id())["status"] != "EXITED"  # still billed


def test_recreate_makes_the_applied_pod_never_an_unapplied_file(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> None:
    """The file moved on (a new image, an env var) but nobody applied it (its merge was
    refused, CONTRACT §8): the morning's recreate makes the pod state recorded (§4)."""
    night = Night(fast_sim, fast_world, tmp_path, vclock, "recreate")
    applied_hash = night.store.read().doc.pods["api"].spec_hash  # type: ignore[union-attr]
    old = night.overnight()
    edited = stack(tmp_path, "recreate")
    pod = edited.pods[0]
    night.stack = replace(edited, pods=(replace(pod, runtime=replace(
        pod.runtime, image="mallory/miner:latest", env={"EXTRA": "1"})),))
    (event,) = night.schedule(MONDAY_MORNING).events
    assert event.ok and event.action == "recreate", event.detail
    new = night.client.get_pod(night.recorded_id())
    assert new["id"] != old and new["image"] == "img:1" and "EXTRA" not in new["env"]
    assert night.store.read().doc.pods["api"].spec_hash == applied_hash  # type: ignore[union-attr]
