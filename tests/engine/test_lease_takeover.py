"""#22: the lease is checked right before every RunPod write, every wait ends when it is
lost, and a lease is stamped when it is acquired. Virtual time: the simulator, the lock
and the run share one ScaledClock; a takeover is another runner's force-unlock + lock.
Each test asserts zero RunPod writes after the takeover."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.engine.session import Session
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.model import Fault
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from gitops_runner.state.base import LockInfo, RunIdentity
from tests.engine.recording import RecordingSession
from tests.fakes.clock import ScaledClock
from tests.fakes.memory import MemoryLocker, MemoryStore, Shared
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

ONE = """
pods:
  - name: web
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
"""
FOUR = ONE.replace("name: web", "name: web\n    replicas: 4")
WAITS = "state: {lock: {wait_seconds: 60}}\n"


class HookedSession(RecordingSession):
    """Runs `hook` once, right after the first answered request with method `on`: the
    takeover lands between two writes of the run, deterministically."""

    def __init__(self, now: Callable[[], float]) -> None:
        super().__init__(now)
        self.on = ""
        self.hook: Callable[[], None] | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        resp = super().request(method, url, *args, **kwargs)
        if method.upper() == self.on and self.hook is not None:
            hook, self.hook = self.hook, None
            hook()
        return resp


class Rig:
    def __init__(self, clock: ScaledClock, sim: Simulator, world: World) -> None:
        self.clock, self.sim, self.world = clock, sim, world
        self.shared = Shared()
        self.logs: list[str] = []
        self.session: Session = make_session(self.logs.append, clock)
        self.session.backends = lambda stack, log: (
            MemoryStore(self.shared), MemoryLocker(self.shared, clock=clock.time))
        self.recorder = HookedSession(clock.time)
        self.client = RunPodClient(sim.url, "k", session=self.recorder, max_retry_seconds=600,
                                   **self.session.client_timing())
        self.took_over: list[float] = []

    def apply(self, pods: str, parallelism: int = 8) -> ApplyResult:
        return apply_stack(self.session, stack_from_yaml(pods, WAITS),
                           sim_access(self.sim, self.client, poll_seconds=2), {},
                           ApplyOptions(parallelism=parallelism))

    def take_over(self) -> None:
        """Another runner force-unlocks our lock and takes it (any moment, any lease)."""
        self.shared.holder = LockInfo.new("apply", "demo/prod", RunIdentity("runner-b"),
                                          now=datetime.fromtimestamp(self.clock.time(), UTC))
        self.took_over.append(self.clock.time())

    def release_after_540s(self) -> None:
        """The other run, which our run waits for, holds the lock 540 s more, then lets go.
        Our run only polls the lock meanwhile, so the 540 s pass at once on the shared
        clock instead of in real time."""
        self.clock.advance(540)
        self.shared.holder = None

    def when(self, ready: Callable[[], bool], then: Callable[[], None]) -> threading.Thread:
        def watch() -> None:
            deadline = time.monotonic() + 30
            while not ready() and time.monotonic() < deadline:
                time.sleep(0.002)
            then()

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        return thread

    def writes_after_takeover(self) -> list[tuple[float, str, str]]:
        assert self.took_over, "the takeover never happened"
        return [w for w in self.recorder.writes() if w[0] >= self.took_over[0]]


@pytest.fixture
def rig() -> Iterator[Rig]:
    clock = ScaledClock(factor=200)
    world = World(clock=clock, settings=Settings(provisioning_seconds=4, starting_seconds=6))
    with Simulator(world) as sim:
        yield Rig(clock, sim, world)


def test_takeover_during_retry_after_wait_sends_no_create(rig: Rig) -> None:
    # The create is answered 429 Retry-After: 280 (under --max-wait 300): the run sleeps
    # on it with its lock held; 20 s into the sleep another runner takes the lock over.
    rig.world.faults.append(Fault("POST /v2/pods", "429", seconds=280))
    posts = lambda: any(c[1] == "POST" for c in rig.recorder.calls)  # noqa: E731
    thread = rig.when(posts, lambda: (rig.clock.sleep(20), rig.take_over()))
    started = rig.clock.time()
    result = rig.apply(ONE)
    thread.join(5)
    assert rig.writes_after_takeover() == []
    assert not result.converged
    assert "taken over" in result.stopped
    assert "sent before" not in result.stopped  # no write went out after the takeover
    assert [p for p in rig.world.pods.values() if not p.terminated] == []
    # The wait ended when the lease was known lost, not after the 280 s it asked for.
    assert rig.clock.time() - started < 280


def test_takeover_is_noticed_before_the_next_write_not_at_the_heartbeat(rig: Rig) -> None:
    assert rig.apply(FOUR).converged
    rig.recorder.calls.clear()
    # A rolling update, one replica at a time: the lock is taken over right after the
    # first PATCH, long before the lease's heartbeat (120 s) would notice.
    rig.recorder.on, rig.recorder.hook = "PATCH", rig.take_over
    result = rig.apply(FOUR.replace("img:1", "img:2"), parallelism=1)
    assert rig.writes_after_takeover() == []
    assert not result.converged and "taken over" in result.stopped
    images = sorted(p.image for p in rig.world.pods.values() if not p.terminated)
    assert images.count("img:2") == 1 and images.count("img:1") == 3


def test_a_long_lock_wait_gets_a_fresh_lease_and_proceeds(rig: Rig) -> None:
    # Another run holds the lock for 540 s; ours waits, then must hold a fresh lease (not
    # one stamped before the wait, already spent) and apply.
    rig.shared.holder = LockInfo.new("apply", "demo/prod", RunIdentity("runner-b"),
                                     now=datetime.fromtimestamp(rig.clock.time(), UTC))
    waited = rig.clock.time()
    rig.when(lambda: rig.shared.lock_waits > 0, rig.release_after_540s)
    result = rig.apply(ONE)
    assert rig.clock.time() - waited >= 540
    assert result.converged, result.stopped


def test_takeover_after_a_lock_wait_sends_no_write(rig: Rig) -> None:
    rig.shared.holder = LockInfo.new("apply", "demo/prod", RunIdentity("runner-b"),
                                     now=datetime.fromtimestamp(rig.clock.time(), UTC))
    rig.when(lambda: rig.shared.lock_waits > 0, rig.release_after_540s)
    # Once ours holds it and has created the first replica, a third run takes it over.
    rig.recorder.on, rig.recorder.hook = "POST", rig.take_over
    result = rig.apply(FOUR, parallelism=1)
    assert rig.writes_after_takeover() == []
    assert not result.converged and "taken over" in result.stopped
    assert len([p for p in rig.world.pods.values() if not p.terminated]) < 4
