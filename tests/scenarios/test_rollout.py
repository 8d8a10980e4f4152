"""Rolling updates (CONTRACT §10): availability over time, stop at the first failure,
overlapping waits with one pod list per poll round."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gitops_runner.config.model import Rollout
from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.plan.identity import MARKER_POD
from gitops_runner.plan.rollout import Batch, batches
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

PODS = """
pods:
  - name: api
    replicas: 3
    rollout: {{max_unavailable: {unavailable}, max_surge: 1}}
    gpu: {{type: NVIDIA GeForce RTX 4090}}
    ports: ["8000/http"]
    runtime: {{image: "{image}"}}
    health_check: {{path: /health, port: 8000, timeout_seconds: 60, interval_seconds: 1}}
"""


@pytest.mark.parametrize(("changing", "rollout", "expected"), [
    ([("a", "update"), ("b", "update"), ("c", "update")], Rollout(1, 1),
     [Batch("update", ("a",)), Batch("update", ("b",)), Batch("update", ("c",))]),
    ([("a", "update"), ("b", "update"), ("c", "update")], Rollout(2, 1),
     [Batch("update", ("a", "b")), Batch("update", ("c",))]),
    ([("a", "replace"), ("b", "replace"), ("c", "replace")], Rollout(0, 2),
     [Batch("replace", ("a", "b")), Batch("replace", ("c",))]),
    ([("a", "update"), ("b", "replace")], Rollout(1, 1),
     [Batch("update", ("a",)), Batch("replace", ("b",))]),
    ([("a", "update"), ("b", "update")], Rollout(0, 1),
     [Batch("update", ("a",)), Batch("update", ("b",))]),
])
def test_rollout_batches_respect_limits(changing: list[tuple[str, str]], rollout: Rollout,
                                        expected: list[Batch]) -> None:
    assert batches(changing, rollout) == expected


class Sampler:
    """Reads the simulator every few milliseconds: how many replicas serve right now."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.unready: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            serving = {p.env.get(MARKER_POD) for p in list(self.world.pods.values())
                       if not p.terminated and self.world.proxy_status(p.id, 8000) == 200}
            self.unready.append(3 - len(serving & {"api", "api-1", "api-2"}))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _apply(fast_sim: Simulator, tmp_path: Path, clock: ScaledClock, image: str,
           unavailable: int = 1):  # type: ignore[no-untyped-def]
    stack = stack_from_yaml(PODS.format(image=image, unavailable=unavailable),
                            f"state: {{path: {tmp_path}}}\n")
    client = RunPodClient(fast_sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
    logs: list[str] = []
    return apply_stack(make_session(logs.append, clock), stack, sim_access(fast_sim, client),
                       {}, ApplyOptions())


def test_rollout_image_change_keeps_all_but_one_replica_serving(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> None:
    assert _apply(fast_sim, tmp_path, vclock, "img:1").converged
    with Sampler(fast_world) as sampler:
        result = _apply(fast_sim, tmp_path, vclock, "img:2")
    assert result.converged and result.count("update") == 3
    assert max(sampler.unready) == 1, "at most max_unavailable replicas unready at once"
    assert 1 in sampler.unready, "the sampler saw the restarts"
    images = {p.image for p in fast_world.pods.values() if not p.terminated}
    assert images == {"img:2"}


def test_rollout_failing_image_stops_after_the_first_replica(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> None:
    assert _apply(fast_sim, tmp_path, vclock, "img:1").converged
    with Sampler(fast_world) as sampler:
        result = _apply(fast_sim, tmp_path, vclock, "bad:2")
    assert not result.converged
    assert [o.pod for o in result.outcomes if o.action == "update" and o.detail
            and "not rolled out" not in o.detail] == ["api"]
    live = {p.env[MARKER_POD]: p.image for p in fast_world.pods.values() if not p.terminated}
    assert live == {"api": "bad:2", "api-1": "img:1", "api-2": "img:1"}
    assert max(sampler.unready) == 1


@pytest.mark.clock_factor(20)  # it bounds virtual elapsed time: CPU stalls must stay small
def test_rollout_waits_overlap_and_share_one_list_per_round(
        fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> None:
    fast_world.settings.provisioning_seconds, fast_world.settings.starting_seconds = 10, 20
    pods = PODS.replace("replicas: 3", "replicas: 12").format(image="img:1", unavailable=1)
    stack = stack_from_yaml(pods, f"state: {{path: {tmp_path}}}\n")
    client = RunPodClient(fast_sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
    fast_sim.exchanges = []
    start = vclock.monotonic()
    result = apply_stack(make_session(clock=vclock), stack, sim_access(fast_sim, client, 5.0),
                         {}, ApplyOptions(parallelism=4))
    took = vclock.monotonic() - start
    assert result.converged and result.count("create") == 12
    assert took < 1.5 * 30 + 15, f"12 boots of 30 s overlapped: {took:.0f}s"
    lists = sum(1 for ex in fast_sim.exchanges or [] if ex.method == "GET" and ex.path == "/v2/pods")
    assert lists <= took / 2, f"{lists} lists in {took:.0f}s: one per round, not one per pod"
    gets = [ex.path for ex in fast_sim.exchanges or [] if ex.method == "GET"
            and ex.path.startswith("/v2/pods/")]
    assert gets == [], "waiting pods read the shared list, not a GET each"


def test_rollout_plan_shows_batches_and_restarts(fast_sim: Simulator, tmp_path: Path,
                                                 vclock: ScaledClock) -> None:
    from gitops_runner.engine.observe import plan_stacks
    from gitops_runner.report.plan import render_markdown, render_text

    assert _apply(fast_sim, tmp_path, vclock, "img:1").converged
    stack = stack_from_yaml(PODS.format(image="img:2", unavailable=1),
                            f"state: {{path: {tmp_path}}}\n")
    client = RunPodClient(fast_sim.url, "k")
    (result,) = plan_stacks(make_session(clock=vclock), [stack], client, {})
    text = render_text(result.plan)
    assert "~ api  update (restarts container)" in text
    assert "Rollout of api: 3 batches: api, then api-1, then api-2" in text
    assert "Rollout of api: 3 batches" in render_markdown(result.plan)
