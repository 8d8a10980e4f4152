"""The README's model example, deployed on the realistic simulator through the plan
and the client: the serving image accepts the derived flags, the pod becomes
healthy, and RunPod's additions (PUBLIC_KEY, the platform port, the lagging reads)
leave the re-plan and drift empty. The engine's own loop is tested elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from gitops_runner.config import Stack, parse_stack
from gitops_runner.plan.build import make_plan, ownership_of
from gitops_runner.plan.desired import create_body, desired_pods
from gitops_runner.plan.drift import find_drift
from gitops_runner.plan.records import record_spec
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.config.test_readme_example import readme_example, served_by
from tests.fakes.clock import FakeClock

SECRETS = {"HF_TOKEN": "hf_value"}


def example(engine: str, gpus: int) -> Stack:
    text = readme_example().decode().replace("count: 1", f"count: {gpus}")
    text = served_by(engine, text)
    stack, problems = parse_stack("README.md", text.encode())
    assert problems == [] and stack is not None
    return stack


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    with Simulator(World(clock=clock, settings=Settings.realistic(3.0))) as simulator:
        yield simulator


@pytest.mark.parametrize("engine", ["vllm", "tgi"])
@pytest.mark.parametrize("gpus", [1, 2])
def test_deploy_readme_example_is_healthy_and_converged(sim: Simulator, clock: FakeClock,
                                                        engine: str, gpus: int) -> None:
    stack = example(engine, gpus)
    want = desired_pods(stack)[0]
    rp = RunPodClient(sim.url, "k", backoff_base=0.01)
    created = rp.create_pod(create_body(want, want.candidates[0], SECRETS))
    clock.advance(10)
    url = sim.proxy_url.format(pod_id=created["id"], port=8000) + "/health"
    assert requests.get(url, timeout=5).status_code == 200
    observed = rp.list_pods()
    assert observed[0]["env"]["PUBLIC_KEY"] and observed[0]["status"] == "RUNNING"
    state = StateDoc.empty(stack.name, "lineage").with_pod(want.logical, PodRecord(
        id=created["id"], runpod_name=want.runpod_name, spec_hash=want.spec_hash,
        gpu=want.candidates[0], gpu_count=gpus, cost=created["cost"],
        created_at=created["createdAt"], updated_at=created["createdAt"],
        spec=record_spec(want)))
    now = datetime.fromtimestamp(clock(), UTC)
    replan = make_plan(stack, state, observed, catalog.gpu_types(), SECRETS, now)
    assert replan.actions == () and replan.warnings == ()
    own = ownership_of(stack, [want], observed, state)
    assert find_drift([want], state, own, SECRETS, now) == []
