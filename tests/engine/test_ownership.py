"""State stays ours: foreign state refused, foreign pods left alone, state rm forgets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitops_runner.engine import state_ops
from gitops_runner.engine.journal import ForeignStateError
from gitops_runner.engine.observe import plan_stacks
from gitops_runner.errors import UsageError
from gitops_runner.plan.build import make_plan
from gitops_runner.plan.desired import create_body, desired_pods
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from tests.fakes.clock import ScaledClock
from tests.plan.factories import CATALOG, observed_from, stack_from_yaml
from tests.scenarios.test_apply import BASE, Harness

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.fixture
def h(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Harness:
    return Harness(fast_sim, fast_world, tmp_path, vclock)


def test_state_of_another_stack_is_refused_on_read(h: Harness) -> None:
    h.store().write(StateDoc.empty("team-b/prod").next_serial(), None)
    (planned,) = plan_stacks(h.session, [h.stack()], h.client, {})
    assert planned.plan is None and "holds the state of team-b/prod" in planned.error
    with pytest.raises(ForeignStateError):
        h.apply(h.stack())
    assert h.live() == {}


def test_plan_recorded_pod_with_other_stack_markers_is_not_ours() -> None:
    stack = stack_from_yaml(BASE, "guardrails: {allow_delete: true}\n")
    other = desired_pods(stack_from_yaml(BASE, project="team-b"))[0]
    observed = [observed_from(other, {}, pod_id="podB")]
    record = PodRecord(id="podB", runpod_name="x", spec_hash="h", gpu="g", gpu_count=1,
                       cost=0, created_at="", updated_at="")
    doc = StateDoc.empty("demo/prod").with_pod("api", record).next_serial()
    plan = make_plan(stack, doc, observed, CATALOG, {}, NOW)
    assert all(a.pod_id != "podB" for a in plan.actions)
    assert any("carries the markers of stack team-b/prod" in w for w in plan.warnings)


def test_state_import_refuses_a_pod_of_another_stack(h: Harness) -> None:
    other = desired_pods(stack_from_yaml(BASE, project="team-b"))[0]
    made = h.client.create_pod(create_body(other, "NVIDIA GeForce RTX 4090", {}))
    with pytest.raises(UsageError, match="markers of stack team-b/prod"):
        state_ops.state_import(h.session, h.stack(), h.client, "api", made["id"])


def test_plan_own_duplicate_is_exempt_from_delete_guardrails() -> None:
    stack = stack_from_yaml(BASE)  # allow_delete: false
    want = desired_pods(stack)[0]
    observed = [observed_from(want, {}, pod_id="pod1"),
                observed_from(want, {}, pod_id="pod2", created="2026-11-27T10:01:00Z")]
    record = PodRecord(id="pod1", runpod_name=want.runpod_name, spec_hash=want.spec_hash,
                       gpu=want.candidates[0], gpu_count=1, cost=0, created_at="",
                       updated_at="")
    doc = StateDoc.empty("demo/prod").with_pod("api", record).next_serial()
    plan = make_plan(stack, doc, observed, CATALOG, {}, NOW)
    (delete,) = [a for a in plan.actions if a.action == "delete"]
    assert delete.pod_id == "pod2" and delete.duplicate
    assert plan.violations == ()


def test_state_rm_pod_is_left_alone_by_plan_and_destroy(h: Harness) -> None:
    from gitops_runner.engine.destroy import destroy_stack
    from tests.helpers import sim_access

    stack = h.stack()
    assert h.apply(stack).converged
    (pod_id,) = h.live()
    state_ops.state_rm(h.session, stack, "api")
    doc = h.store().read().doc
    assert doc is not None and doc.unmanaged == {pod_id: "api"} and "api" not in doc.pods
    gone = h.stack(BASE.replace("name: api", "name: other"))
    (plan,) = plan_stacks(h.session, [gone], h.client, {"TOKEN": "tok-1"})
    assert all(a.pod_id != pod_id for a in plan.plan.actions)
    assert any("unmanaged since 'state rm'" in n for n in plan.plan.notes)
    count, failures = destroy_stack(h.session, stack, sim_access(h.sim, h.client))
    assert (count, failures) == (0, [])
    assert h.live()[pod_id]["status"] != "TERMINATED"
    assert h.store().read().doc.unmanaged == {pod_id: "api"}  # type: ignore[union-attr]
