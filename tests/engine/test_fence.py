"""A run whose lease runs out stops writing before anyone may take its lock over."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.engine.clock import Clock
from gitops_runner.engine.fence import Fence, LeaseLostError
from gitops_runner.engine.lock import held_lock
from gitops_runner.errors import GitopsError
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from gitops_runner.state.base import LockInfo, RunIdentity
from tests.engine.recording import RecordingSession
from tests.fakes.clock import ScaledClock
from tests.fakes.memory import MemoryLocker, MemoryStore, Shared
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

PODS = """
pods:
  - name: web
    replicas: 8
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
"""


class PartitionedLocker(MemoryLocker):
    """Holds the lock, then loses its connection to the lock table for good."""

    def refresh(self, info: LockInfo) -> None:
        raise GitopsError("lock table unreachable (network partition)")

    def holder(self) -> LockInfo | None:
        raise GitopsError("lock table unreachable (network partition)")


@pytest.fixture
def slow_clock() -> ScaledClock:
    return ScaledClock(factor=400)


@pytest.fixture
def slow_sim(slow_clock: ScaledClock) -> Iterator[Simulator]:
    # Each pod takes 100 virtual seconds to boot: a rolling update of eight replicas,
    # one at a time, outlasts the lease.
    world = World(clock=slow_clock, settings=Settings(provisioning_seconds=40,
                                                      starting_seconds=60))
    with Simulator(world) as sim:
        yield sim


def test_apply_lease_not_refreshed_no_runpod_write_after_takeover(
        slow_sim: Simulator, slow_clock: ScaledClock) -> None:
    shared = Shared()
    holder = PartitionedLocker(shared, clock=slow_clock.time)
    taker = MemoryLocker(shared, clock=slow_clock.time)
    recorder = RecordingSession(slow_clock.time)
    client = RunPodClient(slow_sim.url, "k", session=recorder, max_retry_seconds=5,
                          backoff_base=0.01)
    logs: list[str] = []
    session = make_session(logs.append, slow_clock)
    first = MemoryLocker(shared, clock=slow_clock.time)
    session.backends = lambda stack, log: (MemoryStore(shared), first)
    assert apply_stack(session, stack_from_yaml(PODS), sim_access(slow_sim, poll_seconds=10),
                       {}, ApplyOptions()).converged
    session.backends = lambda stack, log: (MemoryStore(shared), holder)
    stack = stack_from_yaml(PODS.replace("img:1", "img:2"))
    took_over: list[float] = []

    def second_runner() -> None:
        # Waits for the lock the ordinary way: only after Expires + the margin.
        while shared.holder is None:
            slow_clock.sleep(1)
        taker.lock(LockInfo.new("apply", stack.name, RunIdentity("runner-b"),
                                now=datetime.fromtimestamp(slow_clock.time(), UTC)),
                   deadline=slow_clock.time() + 3600)
        took_over.append(slow_clock.time())

    thread = threading.Thread(target=second_runner, daemon=True)
    thread.start()
    result = apply_stack(session, stack, sim_access(slow_sim, client, poll_seconds=10), {},
                         ApplyOptions(parallelism=1))
    thread.join(timeout=30)
    assert took_over, "the second runner never got the lock"
    assert not result.converged
    assert "lease was not refreshed" in result.stopped
    late = [w for w in recorder.writes() if w[0] >= took_over[0]]
    assert late == []
    assert 0 < len(recorder.writes()) < 8  # it did start, and stopped early


def test_held_lock_taken_over_sets_the_fence() -> None:
    clock: Clock = ScaledClock(factor=2000)
    shared = Shared()
    mine = MemoryLocker(shared, clock=clock.time)
    fence = Fence(clock)
    errors: list[str] = []
    info = LockInfo.new("apply", "demo/prod", RunIdentity("a"))
    with held_lock(mine, info, 0, lambda _t: None, clock, fence, errors):
        assert shared.holder is not None
        shared.holder = LockInfo.new("apply", "demo/prod", RunIdentity("b"))  # force-unlock + lock
        assert fence.event.wait(5)
        with pytest.raises(LeaseLostError, match="taken over"):
            fence.check()
    # The failed release is reported to the caller, not raised in place of its result.
    assert errors and "could not release the lock" in errors[0]


def test_fence_message_names_a_write_answered_after_the_lease_was_lost() -> None:
    # #22: "no write was made" must not be claimed when one went out before the loss was
    # known; the report names it instead.
    fence = Fence(ScaledClock(factor=1), stack="demo/prod")
    fence.sent("a create of demo-prod-api")  # answered while the lease held: not named
    fence.lose("the lock was taken over by b")
    fence.sent("a create of demo-prod-api-1")
    text = fence.message()
    assert "demo-prod-api-1 was sent before that was noticed" in text
    assert "a create of demo-prod-api;" not in text and "a create of demo-prod-api " not in text
