"""The README's model example through the whole engine on the realistic simulator:
reads that lag, stale status after a PATCH, RunPod-injected env, serving images that
crash-loop on wrong flags (CONTRACT §4, §10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_runner.config import Stack, parse_stack
from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.engine.observe import drift_stacks, plan_stacks
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import RateLimitWaitTooLongError
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Fault, Settings, World
from tests.config.test_readme_example import readme_example, served_by
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access

SECRETS = {"HF_TOKEN": "hf_value"}


def example(engine: str, gpus: int, state_dir: Path, log_level: str = "info") -> Stack:
    lines = [line for line in readme_example().decode().splitlines(keepends=True)
             # Power windows are tested on their own (test_lifecycle*): always on here.
             if not line.lstrip().startswith(("status:", "schedule:", "timezone:",
                                              "running:", "idle_stop:"))]
    text = "".join(lines).replace("count: 1", f"count: {gpus}")
    text = text.replace("path: .gitops-runner", f"path: {state_dir}")
    text = text.replace("LOG_LEVEL: info", f"LOG_LEVEL: {log_level}")
    text = text.replace("timeout_seconds: 900", "timeout_seconds: 120")
    text = served_by(engine, text)
    stack, problems = parse_stack("README.md", text.encode())
    assert problems == [] and stack is not None, [str(p) for p in problems]
    return stack


@pytest.fixture
def world(vclock: ScaledClock) -> World:
    return World(clock=vclock, settings=Settings.realistic(6.0))


@pytest.fixture
def sim(world: World) -> Iterator[Simulator]:
    with Simulator(world) as simulator:
        yield simulator


# Boots, read lag and polls are all virtual and the health timeout is 1800 s: a CPU stall
# (x50) only makes a look later, which sees the same pod further along.
@pytest.mark.clock_factor(50)
@pytest.mark.parametrize("engine", ["vllm", "tgi"])
@pytest.mark.parametrize("gpus", [1, 2])
def test_realistic_readme_example_applies_converges_and_updates(
        sim: Simulator, vclock: ScaledClock, tmp_path: Path, engine: str, gpus: int) -> None:
    logs: list[str] = []
    session = make_session(logs.append, vclock, SECRETS)
    client = RunPodClient(sim.url, "k", backoff_base=0.01)
    access = sim_access(sim, client, poll_seconds=2.0)
    stack = example(engine, gpus, tmp_path)
    first = apply_stack(session, stack, access, SECRETS, ApplyOptions())
    assert first.converged, (first.failed, logs[-5:])
    (plan,) = plan_stacks(session, [stack], client, SECRETS)
    assert plan.plan.actions == (), plan.plan.actions
    (drift,) = drift_stacks(session, [stack], client, SECRETS)
    assert drift.findings == []
    # An in-place update restarts the container; RunPod's PUBLIC_KEY survives the PATCH.
    changed = example(engine, gpus, tmp_path, log_level="debug")
    second = apply_stack(session, changed, access, SECRETS, ApplyOptions())
    assert second.converged and second.count("update") == 1, (second.failed, logs[-5:])
    (pod,) = client.list_pods()
    assert pod["env"]["PUBLIC_KEY"], "the PATCH sent RunPod's injected env back"
    (drift,) = drift_stacks(session, [changed], client, SECRETS)
    assert drift.findings == []


def test_realistic_retry_after_an_hour_fails_at_once_with_the_reset_time(
        sim: Simulator, world: World, vclock: ScaledClock, tmp_path: Path) -> None:
    world.faults.append(Fault("GET /v2/pods", "429", seconds=3600, window="hour"))
    session = make_session(clock=vclock)
    client = RunPodClient(sim.url, "k", backoff_base=0.01, max_wait=300, wall=vclock.time,
                          sleep=lambda s: vclock.sleep(s))
    stack = example("vllm", 1, tmp_path)
    with pytest.raises(RateLimitWaitTooLongError) as caught:
        apply_stack(session, stack, sim_access(sim, client), SECRETS, ApplyOptions())
    message = str(caught.value)
    assert "hour window" in message and "resets in 3600 s, at" in message
    assert "--max-wait" in message
