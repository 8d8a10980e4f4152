"""Plans as data, end to end against the sandbox (CONTRACT §4): a state-only schedule
change is reviewed and only then acted on, data loss is refused unless allowed, a volume
grows in place, and `moved` keeps the pod."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, Approval, apply_stack
from gitops_runner.engine.observe import plan_stacks
from gitops_runner.engine.schedule import schedule_stacks
from gitops_runner.plan.identity import MARKER_POD
from gitops_runner.plan.model import Plan, actions_fingerprint
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from gitops_runner.state.local import LocalStateStore
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

BASE = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    ports: ["8000/http"]
    volume: {size_gb: 20, path: /workspace}
    runtime: {image: "img:1"}
    health_check: {path: /health, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


class Sandbox:
    def __init__(self, sim: Simulator, world: World, state_dir: Path,
                 clock: ScaledClock) -> None:
        self.sim, self.world, self.dir, self.clock = sim, world, str(state_dir), clock
        self.client = RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
        self.logs: list[str] = []
        self.session = make_session(self.logs.append, clock, {})

    def stack(self, pods: str = BASE, guard: str = "{allow_delete: true}",
              moved: str = "") -> Stack:
        return stack_from_yaml(pods, f"guardrails: {guard}\nstate: {{path: {self.dir}}}\n"
                               + moved)

    def apply(self, stack: Stack) -> ApplyResult:
        return apply_stack(self.session, stack, sim_access(self.sim, self.client), {},
                           ApplyOptions())

    def plan(self, stack: Stack) -> Plan:
        (result,) = plan_stacks(self.session, [stack], self.client, {})
        return result.plan

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.time(), UTC)

    def live(self) -> dict[str, dict]:  # type: ignore[type-arg]
        return {p["id"]: p for p in self.client.list_pods()}

    def state(self):  # type: ignore[no-untyped-def]
        return LocalStateStore(self.dir, "demo", "prod").read().doc


@pytest.fixture
def box(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Sandbox:
    return Sandbox(fast_sim, fast_world, tmp_path, vclock)


def _closed_window(now: datetime) -> str:
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(now.weekday() + 3) % 7]
    return f"{day} 10:00-11:00"


def test_scenario_schedule_added_is_a_reviewed_state_only_change(box: Sandbox) -> None:
    assert box.apply(box.stack()).converged
    (pod_id,) = box.live()
    boots = box.world.pods[pod_id].boots
    scheduled = box.stack(BASE.replace(
        "    health_check:",
        f"    schedule: {{timezone: UTC, running: [\"{_closed_window(box.now())}\"]}}\n"
        "    health_check:"))
    plan = box.plan(scheduled)
    (action,) = plan.actions
    assert (action.action, action.state_only) == ("update", True)
    assert [c.field for c in action.changes] == ["schedule"]
    assert plan.fingerprint != actions_fingerprint([])
    # Nobody applied the schedule yet: the scheduled run leaves the pod alone (issue 21).
    (unreviewed,) = schedule_stacks(box.session, [scheduled], sim_access(box.sim, box.client),
                                    box.now())
    assert unreviewed.events == [] and not box.world.pods[pod_id].stopped
    result = box.apply(scheduled)
    assert result.converged and result.count("update") == 1
    assert box.world.pods[pod_id].boots == boots, "a state-only change sends nothing"
    assert box.state().pods["api"].spec["declared"]["schedule"]["timezone"] == "UTC"
    assert box.plan(scheduled).actions == ()
    (reviewed,) = schedule_stacks(box.session, [scheduled], sim_access(box.sim, box.client),
                                  box.now())
    assert [(e.pod, e.action) for e in reviewed.events] == [("api", "stop")]
    assert box.world.pods[pod_id].stopped


def test_scenario_replace_of_a_pod_with_a_volume_is_refused_without_allow_data_loss(
        box: Sandbox) -> None:
    assert box.apply(box.stack()).converged
    (pod_id,) = box.live()
    bigger = BASE.replace("RTX 4090}", "RTX 4090, count: 2}")
    refused = box.apply(box.stack(bigger))
    assert not refused.converged
    assert any(v.startswith("allow_data_loss is false") and
               "pod volume 20 GB at /workspace" in v for v in refused.violations)
    assert list(box.live()) == [pod_id], "nothing was terminated"
    allowed = box.apply(box.stack(bigger, "{allow_delete: true, allow_data_loss: true}"))
    assert allowed.converged and allowed.count("replace") == 1
    assert list(box.live()) != [pod_id]


def test_scenario_volume_growth_patches_the_same_pod(box: Sandbox) -> None:
    assert box.apply(box.stack()).converged
    (pod_id,) = box.live()
    grown = box.stack(BASE.replace("size_gb: 20", "size_gb: 50"), "{}")
    (action,) = box.plan(grown).actions
    assert action.action == "update" and action.destroys == ()
    result = box.apply(grown)
    assert result.converged and result.count("update") == 1
    assert list(box.live()) == [pod_id]
    assert box.world.pods[pod_id].mounts["persistent"]["size"] == 50
    shrunk = box.plan(box.stack(BASE.replace("size_gb: 20", "size_gb: 10"), "{}"))
    assert any("cannot shrink" in v and "new pod entry" in v for v in shrunk.violations)


def test_scenario_moved_entry_keeps_its_pod(box: Sandbox) -> None:
    chat = BASE.replace("name: api", "name: chat")
    assert box.apply(box.stack(chat, "{}")).converged
    (pod_id,) = box.live()
    moved = box.stack(BASE, "{}", moved="moved: [{from: chat, to: api}]\n")
    (action,) = box.plan(moved).actions
    assert (action.pod, action.action, action.moved_from) == ("api", "update", "chat")
    assert action.destroys == () and not action.terminates
    result = box.apply(moved)
    assert result.converged, result.outcomes
    pod = box.live()[pod_id]
    assert pod["name"] == "demo-prod-api" and pod["env"][MARKER_POD] == "api"
    assert list(box.state().pods) == ["api"] and box.state().pods["api"].id == pod_id
    assert box.plan(moved).actions == ()
    renamed = box.plan(box.stack(BASE, "{allow_delete: true}"))
    assert renamed.actions == ()


def test_scenario_rename_without_moved_says_what_it_destroys(box: Sandbox) -> None:
    chat = BASE.replace("name: api", "name: chat")
    assert box.apply(box.stack(chat, "{}")).converged
    plan = box.plan(box.stack(BASE, "{allow_delete: true}"))
    assert sorted(a.action for a in plan.actions) == ["create", "delete"]
    (delete,) = [a for a in plan.actions if a.action == "delete"]
    assert [d.describe() for d in delete.destroys] == [
        "destroys: pod volume 20 GB at /workspace"]
    assert any(v.startswith("allow_data_loss is false") for v in plan.violations)


def test_scenario_ttl_replacement_reviewed_earlier_is_applied(box: Sandbox) -> None:
    # Issue 21: the pod's age was in the fingerprint, so a review never matched the merge.
    pods = BASE.replace("    volume: {size_gb: 20, path: /workspace}\n", "")
    stack = box.stack(pods, "{allow_delete: true, ttl_hours: 0.01}")
    assert box.apply(stack).converged
    (old,) = box.live()
    box.clock.advance(40)  # older than ttl_hours (36 s)
    reviewed = box.plan(stack)
    assert [a.action for a in reviewed.actions] == ["replace"]
    box.clock.advance(20)  # the review and the merge are apart in time
    result = apply_stack(box.session, stack, sim_access(box.sim, box.client), {},
                         ApplyOptions(), Approval(reviewed=reviewed.fingerprint))
    assert result.converged and result.count("replace") == 1
    assert old not in box.live()
