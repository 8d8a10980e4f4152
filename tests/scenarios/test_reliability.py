"""Random simulator faults during apply: it converges or fails with a clear message,
and never leaves an orphan or a duplicate."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.errors import GitopsError
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Fault, World
from gitops_runner.state.local import LocalStateStore
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

PODS = """
pods:
  - name: api
    replicas: 4
    gpu: {type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000]}
    ports: ["8000/http"]
    runtime: {image: "img:1"}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""
ROUTES = ["POST /v2/pods", "GET /v2/pods", "GET /v2/pods/*", "DELETE /v2/pods/*",
          "PATCH /v2/pods/*", "GET /v2/catalog/gpus"]
KINDS = ["5xx", "429", "create_then_500", "capacity", "latency"]


# Every wait here is virtual (boots, health polls, lost-create lookups, Retry-After) and a
# late look only sees a pod further along, so a CPU stall (x50) cannot fail a seed.
@pytest.mark.clock_factor(50)
@pytest.mark.parametrize("seed", range(6))
def test_reliability_random_faults(seed: int, tmp_path: Path, fast_sim: Simulator,
                                   fast_world: World, vclock: ScaledClock) -> None:
    rng = random.Random(seed)
    for _ in range(6):
        kind = rng.choice(KINDS)
        route = "POST /v2/pods" if kind in ("create_then_500", "capacity") else rng.choice(ROUTES)
        fast_world.faults.append(Fault(route, kind, times=rng.randint(1, 2),
                                       seconds=rng.choice([0, 1]) if kind == "429" else 0.2))
    if rng.random() < 0.3:
        for dc, _ in catalog.DATA_CENTERS:
            fast_world.capacity[catalog.capacity_key("NVIDIA GeForce RTX 4090", dc, "SECURE")] = 1
    stack = stack_from_yaml(PODS, f"state: {{path: {tmp_path}}}\nguardrails: {{allow_delete: true}}\n")
    logs: list[str] = []
    session = make_session(logs.append, vclock)
    # As the CLI builds it: Retry-After and backoff waits on the session's (virtual) clock.
    client = RunPodClient(fast_sim.url, "k", max_retry_seconds=10, backoff_base=0.01, timeout=5,
                          **session.client_timing())
    store = LocalStateStore(str(tmp_path), "demo", "prod")
    for _ in range(3):  # the operator re-runs apply until it converges
        try:
            result = apply_stack(session, stack, sim_access(fast_sim, client), {},
                                 ApplyOptions(max_attempts=3))
        except GitopsError as exc:
            assert str(exc), "a failure says what went wrong"
            continue
        for failure in result.failed:
            assert failure.detail
        if result.converged:
            break
    else:
        pytest.fail(f"seed {seed}: did not converge in 3 applies: {logs[-5:]}")
    live = {p.id: p for p in fast_world.pods.values() if not p.terminated}
    doc = store.read().doc
    assert doc is not None
    assert set(live) == {r.id for r in doc.pods.values()}, "no orphan: every live pod is in state"
    assert sorted(p.env["GITOPS_RUNNER_POD"] for p in live.values()) == \
        ["api", "api-1", "api-2", "api-3"], "no duplicate"
