"""Carrying out endpoint actions against the simulator: lost creates adopted, transient
failures retried after a fresh look and bounded, saved plans, rollout waits."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import (
    ApplyOptions,
    ApplyResult,
    Approval,
    StalePlanError,
    apply_stack,
)
from gitops_runner.engine.endpoint_wait import wait_rollout
from gitops_runner.engine.observe import plan_stacks
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.serverless import ServerlessApi
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Fault, World
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

ENDPOINT = """
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
endpoints:
  - name: chat
    gpu: {pools: [ADA_24]}
    workers: {min: 1, max: 2}
    runtime: {image: "acme/w:1", env: {TOKEN: {secret: TOKEN}}}
"""
SECRETS = {"TOKEN": "tok-1"}


class Harness:
    def __init__(self, sim: Simulator, world: World, state_dir: Path, clock: ScaledClock) -> None:
        self.sim, self.world, self.dir, self.clock = sim, world, str(state_dir), clock
        self.client = RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
        self.api = ServerlessApi(self.client)
        self.logs: list[str] = []
        self.session = make_session(self.logs.append, clock, SECRETS)

    def stack(self, text: str = ENDPOINT) -> Stack:
        return stack_from_yaml(text, f"state: {{path: {self.dir}}}\n")

    def apply(self, stack: Stack, saved=None, **opts) -> ApplyResult:  # type: ignore[no-untyped-def]
        return apply_stack(self.session, stack, sim_access(self.sim, self.client), SECRETS,
                           ApplyOptions(**opts), Approval(saved=saved))


@pytest.fixture
def h(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Harness:
    return Harness(fast_sim, fast_world, tmp_path, vclock)


def test_a_lost_endpoint_create_is_found_by_its_markers_not_made_twice(h: Harness) -> None:
    h.world.faults.append(Fault("POST /v2/serverless", "create_then_500"))
    result = h.apply(h.stack())
    assert result.converged, result.endpoint_outcomes
    assert len(h.api.list_endpoints()) == 1 and len(h.api.list_templates()) == 1


def test_transient_failures_are_retried_after_a_fresh_look_and_bounded(h: Harness) -> None:
    h.world.faults.append(Fault("POST /v2/templates", "5xx", times=1))
    assert h.apply(h.stack(), max_attempts=3).converged
    assert len(h.api.list_templates()) == 1
    h.world.faults.append(Fault("PATCH /v2/serverless/*", "5xx", times=100))
    result = h.apply(h.stack(ENDPOINT.replace("max: 2", "max: 3")), max_attempts=2)
    assert not result.converged
    assert [o.ok for o in result.endpoint_outcomes] == [False, False]  # two attempts, no more


def test_a_saved_plan_with_an_endpoint_applies_and_goes_stale(h: Harness) -> None:
    stack = h.stack()
    (saved,) = [r.plan for r in plan_stacks(h.session, [stack], h.client, SECRETS)]
    assert h.apply(stack, saved=saved).converged
    with pytest.raises(StalePlanError, match="stale plan"):
        h.apply(stack, saved=saved)


@pytest.mark.clock_factor(100)  # a 30 s wait that no stall can end any other way
def test_a_rollout_without_stock_times_out_with_its_reason(h: Harness) -> None:
    assert h.apply(h.stack(ENDPOINT.replace("min: 1", "min: 0"))).converged
    (ep,) = h.api.list_endpoints()
    h.world.capacity = {k: 0 for k in h.world.capacity}
    h.api.update_endpoint(ep["id"], {"workers": {"min": 1}})
    done = wait_rollout(h.api, ep["id"], 1, h.clock, 1.0, threading.Event(), timeout=30)
    assert not done.ok and "1 throttled" in done.detail
    nothing = wait_rollout(h.api, ep["id"], 0, h.clock, 1.0, threading.Event())
    assert nothing.ok and "workers.min is 0" in nothing.detail


def test_removing_the_cuda_floor_clears_it_and_converges(h: Harness) -> None:
    floor = ENDPOINT.replace("pools: [ADA_24]}", 'pools: [ADA_24], min_cuda_version: "12.4"}')
    assert h.apply(h.stack(floor)).converged
    (ep,) = h.api.list_endpoints()
    assert ep["gpu"]["minCudaVersion"] == "12.4"
    assert h.apply(h.stack()).converged
    (ep,) = h.api.list_endpoints()
    assert ep["gpu"]["minCudaVersion"] is None
    (plan,) = [r.plan for r in plan_stacks(h.session, [h.stack()], h.client, SECRETS)]
    assert plan.endpoint_actions == ()


def test_a_lost_template_create_never_adopts_another_states_template(
        h: Harness, tmp_path: Path) -> None:
    """A second state of the same stack (another lineage) made its template first: our
    lost create is found by our own lineage's markers, never theirs (CONTRACT §5)."""
    other = Harness(h.sim, h.world, tmp_path / "other", h.clock)
    assert other.apply(other.stack()).converged
    (theirs,) = h.api.list_templates()
    assert len(h.api.list_endpoints()) == 1
    h.world.faults.append(Fault("POST /v2/templates", "create_then_500"))
    result = h.apply(h.stack())
    assert result.converged, result.endpoint_outcomes
    from gitops_runner.state.local import LocalStateStore
    doc = LocalStateStore(h.dir, "demo", "prod").read().doc
    assert doc is not None and doc.endpoints["chat"].template_id != theirs["id"]
    assert [t for t in h.api.list_templates() if t["id"] == theirs["id"]] == [theirs]
    assert len(h.api.list_endpoints()) == 2  # theirs and ours: no duplicate, none orphaned


class _Killed(BaseException):
    """kill -9 right after RunPod answered a create, before the journal write."""


@pytest.mark.parametrize("method", ["create_template", "create_endpoint"])
def test_a_kill_right_after_a_template_or_endpoint_create_is_adopted_not_duplicated(
        h: Harness, monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    made = getattr(ServerlessApi, method)

    def create_then_die(self: ServerlessApi, body: dict) -> dict:  # type: ignore[type-arg]
        made(self, body)
        raise _Killed

    monkeypatch.setattr(ServerlessApi, method, create_then_die)
    with pytest.raises(_Killed):
        h.apply(h.stack())
    monkeypatch.setattr(ServerlessApi, method, made)
    h.clock.advance(120)  # the next run, the dead run's lease long expired
    result = h.apply(h.stack())
    assert result.converged, (result.endpoint_outcomes, h.logs)
    assert len(h.api.list_templates()) == 1 and len(h.api.list_endpoints()) == 1
