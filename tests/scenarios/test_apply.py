"""End-to-end apply against the simulator over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, Approval, StalePlanError, apply_stack
from gitops_runner.engine.observe import plan_stacks
from gitops_runner.plan.identity import MARKER_POD, MARKER_STACK
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Fault, World
from gitops_runner.state.local import FileLocker, LocalStateStore
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

BASE = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000]}
    ports: ["8000/http"]
    runtime: {image: "img:1", env: {LEVEL: info}}
    health_check: {path: /health, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


class Harness:
    def __init__(self, sim: Simulator, world: World, state_dir: Path, clock: ScaledClock) -> None:
        self.sim, self.world, self.dir, self.clock = sim, world, str(state_dir), clock
        self.client = RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
        self.logs: list[str] = []
        self.session = make_session(self.logs.append, clock, {"TOKEN": "tok-1"})

    def stack(self, pods: str = BASE, guard: str = "{allow_delete: true}") -> Stack:
        return stack_from_yaml(pods, f"guardrails: {guard}\nstate: {{path: {self.dir}}}\n")

    def apply(self, stack: Stack, saved=None, **opts) -> ApplyResult:  # type: ignore[no-untyped-def]
        return apply_stack(self.session, stack, sim_access(self.sim, self.client),
                           {"TOKEN": "tok-1"}, ApplyOptions(**opts), Approval(saved=saved))

    def store(self) -> LocalStateStore:
        return LocalStateStore(self.dir, "demo", "prod")

    def locker(self) -> FileLocker:
        return FileLocker(self.dir, "demo", "prod")

    def live(self) -> dict[str, dict]:  # type: ignore[type-arg]
        return {p["id"]: p for p in self.client.list_pods()}

    def state_ids(self) -> dict[str, str]:
        doc = self.store().read().doc
        return {name: rec.id for name, rec in doc.pods.items()} if doc else {}


@pytest.fixture
def h(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Harness:
    return Harness(fast_sim, fast_world, tmp_path, vclock)


def test_apply_creates_pod_and_records_state(h: Harness) -> None:
    result = h.apply(h.stack())
    assert result.converged and result.count("create") == 1
    (pod_id,) = h.live()
    assert h.state_ids() == {"api": pod_id}
    pod = h.live()[pod_id]
    assert pod["status"] == "RUNNING"
    assert pod["env"][MARKER_STACK] == "demo/prod" and pod["env"][MARKER_POD] == "api"
    assert h.store().read().doc.pods["api"].healthy  # type: ignore[union-attr]
    assert h.apply(h.stack()).outcomes == []


def test_apply_in_place_update_keeps_pod_id(h: Harness) -> None:
    h.apply(h.stack())
    (before,) = h.live()
    result = h.apply(h.stack(BASE.replace("img:1", "img:2")))
    assert result.converged and result.count("update") == 1
    assert list(h.live()) == [before]
    assert h.live()[before]["image"] == "img:2"


def test_apply_replace_terminates_old_only_after_new_is_ready(h: Harness) -> None:
    h.apply(h.stack())
    (old,) = h.live()
    result = h.apply(h.stack(BASE.replace("RTX A6000]}", "RTX A6000], count: 2}")))
    assert result.converged and result.count("replace") == 1
    (new,) = h.live()
    assert new != old and h.state_ids() == {"api": new}
    old_pod, new_pod = h.world.pods[old], h.world.pods[new]
    terminated_at = next(t for t, line in old_pod.events if line == "Pod terminated")
    assert h.world.running_since(new_pod) <= terminated_at


def test_apply_deletes_removed_pod(h: Harness) -> None:
    h.apply(h.stack())
    result = h.apply(h.stack(BASE.replace("name: api", "name: web")))
    assert result.converged and result.count("delete") == 1 and result.count("create") == 1
    assert list(h.state_ids()) == ["web"] and len(h.live()) == 1


def test_apply_adopts_pod_found_by_markers(h: Harness) -> None:
    stack = h.stack()
    from gitops_runner.plan.desired import create_body, desired_pods

    want = desired_pods(stack)[0]
    made = h.client.create_pod(create_body(want, want.candidates[0], {}))
    result = h.apply(stack)
    assert result.converged and result.count("adopt") == 1
    assert h.state_ids() == {"api": made["id"]} and len(h.live()) == 1


def test_apply_falls_back_when_primary_gpu_has_no_capacity(h: Harness) -> None:
    for dc, _ in catalog.DATA_CENTERS:
        h.world.capacity[catalog.capacity_key("NVIDIA GeForce RTX 4090", dc, "SECURE")] = 0
    result = h.apply(h.stack())
    assert result.converged
    assert [o.gpu for o in result.outcomes] == ["NVIDIA RTX A6000"]
    (replan,) = [r.plan for r in plan_stacks(h.session, [h.stack()], h.client, {})]
    assert replan.actions == ()
    assert replan.notes == ("api: running on fallback GPU NVIDIA RTX A6000 (first choice "
                            "NVIDIA GeForce RTX 4090)",)
    assert any("placed on fallback GPU NVIDIA RTX A6000" in line for line in h.logs)


def test_apply_reports_last_runpod_detail_when_no_candidate_fits(h: Harness) -> None:
    for key in list(h.world.capacity):
        h.world.capacity[key] = 0
    result = h.apply(h.stack(), max_attempts=1)
    assert not result.converged
    (failure,) = result.failed
    assert "no capacity on any candidate (NVIDIA GeForce RTX 4090, NVIDIA RTX A6000)" in \
        failure.detail
    assert "no longer any instances available" in failure.detail
    assert h.live() == {}


def test_apply_no_fallback_when_guardrail_forbids(h: Harness) -> None:
    for dc, _ in catalog.DATA_CENTERS:
        h.world.capacity[catalog.capacity_key("NVIDIA GeForce RTX 4090", dc, "SECURE")] = 0
    result = h.apply(h.stack(guard="{allow_gpu_fallback: false}"), max_attempts=1)
    assert not result.converged and h.live() == {}


def test_apply_readiness_timeout_keeps_pod_and_next_apply_waits_again(h: Harness) -> None:
    h.world.settings.healthy_after = None  # the service never answers
    stack = h.stack(BASE.replace("timeout_seconds: 20", "timeout_seconds: 1"))
    result = h.apply(stack)
    assert not result.converged
    assert "not ready after 1s" in result.failed[0].detail
    (pod_id,) = h.live()
    assert h.store().read().doc.pods["api"].healthy is False  # type: ignore[union-attr]
    for pod in h.world.pods.values():
        pod.healthy_after = 0.0
    h.clock.advance(5)  # the operator re-runs apply later; the pod has booted
    again = h.apply(stack)
    assert again.converged and again.count("update") == 1
    assert list(h.live()) == [pod_id], "the kept pod was waited for, not recreated"


def test_apply_create_then_500_does_not_duplicate(h: Harness) -> None:
    h.world.faults.append(Fault("POST /v2/pods", "create_then_500"))
    result = h.apply(h.stack())
    assert result.converged
    assert len(h.live()) == 1 and list(h.state_ids().values()) == list(h.live())
    assert any("exists; adopting it" in line for line in h.logs)


@pytest.mark.clock_factor(100)  # each lost create is looked for over 7.5 s (LOOKUP_DELAYS)
def test_apply_retries_transient_failures_after_fresh_observation(h: Harness) -> None:
    h.world.faults.append(Fault("POST /v2/pods", "5xx", times=4))
    result = h.apply(h.stack(), max_attempts=3)
    assert result.converged and len(h.live()) == 1


def test_apply_refuses_guardrail_violations(h: Harness) -> None:
    result = h.apply(h.stack(guard="{max_hourly_cost: 0.1}"))
    assert not result.converged and result.violations and h.live() == {}


def test_apply_stale_plan_is_refused(h: Harness) -> None:
    stack = h.stack()
    (saved,) = [r.plan for r in plan_stacks(h.session, [stack], h.client, {})]
    assert h.apply(stack).converged
    with pytest.raises(StalePlanError, match="stale plan for demo/prod"):
        h.apply(stack, saved=saved)


def test_apply_parallel_creates(h: Harness) -> None:
    stack = h.stack(BASE.replace("name: api", "name: api\n    replicas: 6"))
    result = h.apply(stack, parallelism=6)
    assert result.converged and result.count("create") == 6
    assert sorted(h.state_ids()) == ["api", *[f"api-{i}" for i in range(1, 6)]]


def test_apply_stopped_pod_is_started(h: Harness) -> None:
    h.apply(h.stack())
    (pod_id,) = h.live()
    h.client.pod_action(pod_id, "stop")
    result = h.apply(h.stack())
    assert result.converged and result.count("start") == 1
    assert h.live()[pod_id]["status"] == "RUNNING"


def test_apply_waits_for_port_mappings_after_running(h: Harness) -> None:
    h.world.settings.ports_after = 5  # RUNNING is reported before the ports are mapped
    result = h.apply(h.stack())
    assert result.converged
    assert any("RUNNING, waiting for port mappings" in line for line in h.logs)


def test_apply_health_check_is_polled_at_its_interval(h: Harness) -> None:
    h.world.settings.healthy_after = 2.2
    result = h.apply(h.stack())  # RunPod is polled every 0.05 s, the pod every 1 s
    assert result.converged
    assert any("health check /health: HTTP 502" in line for line in h.logs)
    hits = [r for r in h.world.requests if r[0] == "PROXY"]
    assert 2 <= len(hits) <= 5


def test_apply_stopped_pod_whose_host_is_full_says_how_to_move_it(h: Harness) -> None:
    h.apply(h.stack())
    (pod_id,) = h.live()
    h.client.pod_action(pod_id, "stop")
    h.world.faults.append(Fault(f"POST /v2/pods/{pod_id}/action", "capacity", times=5))
    result = h.apply(h.stack())
    assert not result.converged
    assert "cannot start: its host has no free GPU" in result.failed[0].detail
    assert list(h.live()) == [pod_id]


def test_apply_scaling_1_3_1_keeps_replica_0(h: Harness) -> None:
    h.apply(h.stack())
    (first,) = h.state_ids().values()
    three = h.apply(h.stack(BASE.replace("  - name: api\n", "  - name: api\n    replicas: 3\n")))
    assert three.converged and three.count("create") == 2 and three.count("replace") == 0
    assert h.state_ids()["api"] == first and set(h.state_ids()) == {"api", "api-1", "api-2"}
    one = h.apply(h.stack())
    assert one.converged and one.count("delete") == 2
    assert h.state_ids() == {"api": first}


def test_apply_moves_on_after_any_400_and_says_when_the_key_lacks_permission(h: Harness) -> None:
    # RunPod's capacity 400s carry no machine-readable code: any 400 tries the next
    # candidate; a 403 on every candidate means the key lacks permission.
    h.world.faults.append(Fault("POST /v2/pods", "5xx", times=1, status=400))
    result = h.apply(h.stack(), max_attempts=1)
    assert result.converged
    (pod,) = h.live().values()
    assert pod["gpu"]["id"] == "NVIDIA RTX A6000"


def test_apply_unused_fallback_gpu_is_recorded_without_a_runpod_request(h: Harness) -> None:
    # On RunPod every PATCH restarts the container: an edit the pod already satisfies
    # goes to state only (CONTRACT §5).
    assert h.apply(h.stack()).converged
    h.sim.exchanges = []
    wider = BASE.replace("fallback: [NVIDIA RTX A6000]",
                         "fallback: [NVIDIA RTX A6000, NVIDIA A40]")
    result = h.apply(h.stack(wider))
    assert result.converged and result.count("update") == 1
    writes = [ex for ex in h.sim.exchanges or [] if ex.method in ("POST", "PATCH", "DELETE")]
    assert writes == []
    assert h.apply(h.stack(wider)).outcomes == [], "converged: nothing left to do"
