"""Network volumes end to end in the simulator (CONTRACT §14): a two-data-center volume,
a pod that falls back to the second data center with its volume, grow, removal, foreign."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.engine.observe import plan_stacks
from gitops_runner.engine.state_volumes import state_import_volume, state_rm_volume
from gitops_runner.errors import UsageError
from gitops_runner.plan.model import Plan
from gitops_runner.report.plan import render_text
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.model import LIST_OMITS, Fault
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from gitops_runner.state.local import LocalStateStore
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

GPU = "NVIDIA GeForce RTX 4090"
POD = f"""
pods:
  - name: api
    gpu: {{type: {GPU}}}
    ports: ["8000/http"]
    network_volume: {{name: hf-cache, path: /workspace}}
    runtime: {{image: "vllm/vllm-openai:v0.6.3"}}
    models: [{{id: qwen, repo: Qwen/Qwen2.5-7B-Instruct, load: {{engine: vllm}}}}]
    health_check: {{path: /health, port: 8000, timeout_seconds: 60, interval_seconds: 1}}
"""


class Harness:
    def __init__(self, sim: Simulator, world: World, state_dir: Path, clock: ScaledClock) -> None:
        self.sim, self.world, self.dir, self.clock = sim, world, str(state_dir), clock
        self.client = RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
        self.logs: list[str] = []
        self.session = make_session(self.logs.append, clock)

    def stack(self, size: int = 200, pods: str = POD, guard: str = "{}") -> Stack:
        volumes = ("volumes:\n  - {name: hf-cache, size_gb: " + str(size)
                   + ", data_centers: [EU-RO-1, US-TX-3]}\n") if size else ""
        return stack_from_yaml(pods, f"guardrails: {guard}\nstate: {{path: {self.dir}}}\n"
                               + volumes)

    def plan(self, stack: Stack) -> Plan:
        return plan_stacks(self.session, [stack], self.client, {})[0].plan

    def apply(self, stack: Stack) -> ApplyResult:
        return apply_stack(self.session, stack, sim_access(self.sim, self.client), {},
                           ApplyOptions())

    def recorded(self) -> dict[str, str]:
        doc = LocalStateStore(self.dir, "demo", "prod").read().doc
        return {name: rec.id for name, rec in doc.volumes.items()} if doc else {}


@pytest.fixture
def h(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Harness:
    return Harness(fast_sim, fast_world, tmp_path, vclock)


def test_pod_without_stock_in_the_first_data_center_lands_in_the_second_with_its_volume(
        h: Harness) -> None:
    h.world.capacity[catalog.capacity_key(GPU, "EU-RO-1", "SECURE")] = 0
    result = h.apply(h.stack())
    assert result.converged, h.logs
    vols = {v["dataCenter"]: v for v in h.client.list_network_volumes()}
    assert {dc: (v["name"], v["size"]) for dc, v in vols.items()} == {
        "EU-RO-1": ("demo-prod-hf-cache-EU-RO-1", 200),
        "US-TX-3": ("demo-prod-hf-cache-US-TX-3", 200)}
    assert h.recorded() == {v["name"]: v["id"] for v in vols.values()}
    (pod,) = h.client.list_pods()
    assert pod["dataCenterId"] == "US-TX-3"
    assert pod["mounts"] == {"network": [{"volumeId": vols["US-TX-3"]["id"],
                                          "path": "/workspace"}]}
    assert pod["env"]["HF_HOME"] == "/workspace/huggingface"
    again = h.plan(h.stack())
    assert not again.has_changes, (again.actions, again.volume_actions)
    assert "api: placed only in EU-RO-1, US-TX-3, where network volume hf-cache is" in again.notes


def test_growing_a_volume_is_one_patch_per_copy_and_keeps_the_pod(h: Harness) -> None:
    assert h.apply(h.stack(200)).converged
    (pod_id,) = {p["id"] for p in h.client.list_pods()}
    h.sim.exchanges = []
    result = h.apply(h.stack(300))
    assert result.converged, h.logs
    writes = [(e.method, e.path, e.request) for e in h.sim.exchanges if e.method != "GET"]
    ids = sorted(h.recorded().values())
    assert sorted(writes) == sorted(("PATCH", f"/v2/network-volumes/{i}", {"size": 300})
                                    for i in ids)
    assert {p["id"] for p in h.client.list_pods()} == {pod_id}
    assert not h.plan(h.stack(300)).has_changes


def test_a_volume_one_list_answer_leaves_out_is_asked_for_by_id_not_made_again(
        h: Harness) -> None:
    assert h.apply(h.stack()).converged, h.logs
    h.world.faults.append(Fault("GET /v2/network-volumes", LIST_OMITS))
    plan = h.plan(h.stack())
    assert not plan.has_changes, render_text(plan)  # not a create of an empty twin
    assert [f.times for f in h.world.faults] == [0], "the short list answer was served"
    h.client.delete_network_volume(sorted(h.recorded().values())[0])  # a 404 means gone
    assert [a.action for a in h.plan(h.stack()).volume_actions] == ["create"]


def test_removing_a_volume_is_refused_without_allow_data_loss(h: Harness) -> None:
    no_pod = POD.replace("    network_volume: {name: hf-cache, path: /workspace}\n", "")
    assert h.apply(h.stack(200, no_pod)).converged
    refused = h.apply(h.stack(0, no_pod))
    assert not refused.converged and any("allow_data_loss" in v for v in refused.violations)
    assert len(h.client.list_network_volumes()) == 2
    assert not h.apply(h.stack(0, no_pod, guard="{allow_data_loss: true}")).converged
    allowed = h.apply(h.stack(0, no_pod, guard="{allow_data_loss: true, allow_delete: true}"))
    assert allowed.converged, h.logs
    assert h.client.list_network_volumes() == [] and h.recorded() == {}
    assert "2 volume(s) deleted" in allowed.summary()


def test_a_foreign_same_named_volume_is_never_touched(h: Harness) -> None:
    theirs = h.client.create_network_volume({"name": "demo-prod-hf-cache-EU-RO-1", "size": 50,
                                             "dataCenter": "EU-RO-1"})
    plan = h.plan(h.stack())
    assert any(theirs["id"] in w and "foreign" in w for w in plan.warnings)
    assert h.apply(h.stack()).converged, h.logs
    assert theirs["id"] not in h.recorded().values()
    (pod,) = h.client.list_pods()
    assert pod["mounts"]["network"][0]["volumeId"] != theirs["id"]
    # Removing ours (with allow_data_loss) still leaves theirs alone.
    no_pod = POD.replace("    network_volume: {name: hf-cache, path: /workspace}\n", "")
    assert h.apply(h.stack(0, no_pod, guard="{allow_data_loss: true, allow_delete: true}"))\
        .converged, h.logs
    assert [v["id"] for v in h.client.list_network_volumes()] == [theirs["id"]]
    assert h.client.list_network_volumes()[0]["size"] == 50


def test_a_volume_create_whose_answer_was_lost_is_found_again_not_made_twice(
        h: Harness) -> None:
    from gitops_runner.runpod.simulator.world import Fault

    h.world.faults.append(Fault("POST /v2/network-volumes", "create_then_500"))
    result = h.apply(h.stack())
    assert result.converged, h.logs
    assert len(h.client.list_network_volumes()) == 2
    assert sorted(h.recorded().values()) == sorted(v["id"] for v in
                                                   h.client.list_network_volumes())


def test_a_saved_plan_with_volumes_applies_and_a_changed_volume_makes_it_stale(
        h: Harness) -> None:
    from gitops_runner.engine.apply import Approval, StalePlanError
    from gitops_runner.plan.planfile import parse_plan_file, render_plan_file

    assert h.apply(h.stack(200)).converged
    saved = parse_plan_file(render_plan_file([h.plan(h.stack(300))]))[0]
    vol = h.client.list_network_volumes()[0]
    h.client.update_network_volume(vol["id"], {"size": 250})  # resized behind our back
    with pytest.raises(StalePlanError, match="changed"):
        apply_stack(h.session, h.stack(300), sim_access(h.sim, h.client), {}, ApplyOptions(),
                    Approval(saved))
    fresh = parse_plan_file(render_plan_file([h.plan(h.stack(300))]))[0]
    result = apply_stack(h.session, h.stack(300), sim_access(h.sim, h.client), {},
                         ApplyOptions(), Approval(fresh))
    assert result.converged, h.logs
    assert {v["size"] for v in h.client.list_network_volumes()} == {300}


def test_a_failed_volume_create_holds_the_pods_back_and_is_retried(h: Harness) -> None:
    from gitops_runner.runpod.simulator.world import Fault

    h.world.faults.append(Fault("POST /v2/network-volumes", "5xx", times=1))
    result = h.apply(h.stack())
    assert result.converged, h.logs
    assert [(v.action, v.ok) for v in result.volume_outcomes].count(("create", False)) == 1
    assert len(h.client.list_network_volumes()) == 2
    (pod,) = h.client.list_pods()
    assert pod["mounts"]["network"][0]["volumeId"] in h.recorded().values()


def test_moved_renames_a_volume_in_place_keeping_its_id_and_the_pod(h: Harness) -> None:
    old_pods = POD.replace("name: hf-cache", "name: weights")
    old = stack_from_yaml(old_pods, f"guardrails: {{}}\nstate: {{path: {h.dir}}}\nvolumes:\n"
                          "  - {name: weights, size_gb: 200, data_centers: [EU-RO-1, US-TX-3]}\n")
    assert h.apply(old).converged, h.logs
    ids = {v["dataCenter"]: v["id"] for v in h.client.list_network_volumes()}
    (pod_id,) = {p["id"] for p in h.client.list_pods()}
    renamed = stack_from_yaml(POD, f"guardrails: {{}}\nstate: {{path: {h.dir}}}\n"
                              "moved: [{from: weights, to: hf-cache}]\nvolumes:\n"
                              "  - {name: hf-cache, size_gb: 200, data_centers: "
                              "[EU-RO-1, US-TX-3]}\n")
    plan = h.plan(renamed)
    assert [(a.action, a.moved_from) for a in plan.volume_actions] == [("move", "weights")] * 2
    assert render_text(plan).count("~ volume hf-cache (moved from weights) [") == 2
    # The pod keeps its mount (the same volume id): state learns the new name, RunPod is
    # not asked (a PATCH would restart it).
    assert [(a.pod, a.action, a.state_only) for a in plan.actions] == [("api", "update", True)]
    h.sim.exchanges = []
    result = h.apply(renamed)
    assert result.converged, h.logs
    writes = [(e.method, e.path, e.request) for e in h.sim.exchanges if e.method != "GET"]
    assert sorted(writes) == sorted(("PATCH", f"/v2/network-volumes/{ids[dc]}",
                                     {"name": f"demo-prod-hf-cache-{dc}"}) for dc in ids)
    assert {v["dataCenter"]: v["id"] for v in h.client.list_network_volumes()} == ids
    assert h.recorded() == {f"demo-prod-hf-cache-{dc}": i for dc, i in ids.items()}
    (pod,) = h.client.list_pods()
    assert pod["id"] == pod_id and pod["mounts"]["network"][0]["volumeId"] in ids.values()
    again = h.plan(renamed)
    assert not again.has_changes, (again.actions, again.volume_actions)


class _Killed(BaseException):
    """kill -9 right after RunPod answered a volume create, before it was journaled."""


def _killed_after_a_volume_create(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """An apply dies right after its first volume create; two minutes on, the dead run's
    lease has long expired and the next run may start."""
    from gitops_runner.engine.writer import Writer

    made = Writer.create_volume

    def create_then_die(self: Writer, body: dict) -> dict:  # type: ignore[type-arg]
        made(self, body)
        raise _Killed

    with monkeypatch.context() as patched:
        patched.setattr(Writer, "create_volume", create_then_die)
        with pytest.raises(_Killed):
            h.apply(h.stack())
    h.clock.advance(120)


def test_a_kill_between_a_volume_create_and_its_journal_entry_is_found_again(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _killed_after_a_volume_create(h, monkeypatch)
    (first,) = h.client.list_network_volumes()
    plan = h.plan(h.stack())
    assert not any(first["id"] in w for w in plan.warnings), plan.warnings  # ours, not foreign
    assert h.apply(h.stack()).converged, h.logs
    vols = h.client.list_network_volumes()
    assert len(vols) == 2, vols  # one per data center: the first one adopted, not duplicated
    assert first["id"] in h.recorded().values()
    assert not h.plan(h.stack()).has_changes


def test_destroy_deletes_a_volume_only_a_create_intent_knows_of(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitops_runner.engine.destroy import run_destroy

    _killed_after_a_volume_create(h, monkeypatch)
    stack = h.stack()
    done = run_destroy(h.session, stack, sim_access(h.sim, h.client))
    assert not done.failures, done.failures
    assert h.client.list_network_volumes() == []  # not left behind, billing, unrecorded
    assert [v["name"] for v in done.volumes_deleted] == ["demo-prod-hf-cache-EU-RO-1"]


def test_a_lost_create_of_a_volume_since_removed_from_the_file_is_warned_not_leaked(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _killed_after_a_volume_create(h, monkeypatch)
    (leaked,) = h.client.list_network_volumes()
    no_volume = h.stack(0, POD.replace("    network_volume: {name: hf-cache, path: /workspace}\n",
                                       ""))
    plan = h.plan(no_volume)  # said, never deleted by a plan: a pod may mount it by id now
    assert plan.volume_actions == () and plan.violations == ()
    assert any(w.startswith(f"network volume {leaked['id']} (demo-prod-hf-cache-EU-RO-1, 200 "
                            "GB in EU-RO-1) was probably made by a create whose answer was "
                            "lost") for w in plan.warnings), plan.warnings
    assert h.apply(no_volume).converged, h.logs
    from gitops_runner.engine.destroy import run_destroy
    done = run_destroy(h.session, no_volume, sim_access(h.sim, h.client))
    assert not done.failures and h.client.list_network_volumes() == []  # destroy takes it


def test_state_import_adopts_a_volume_made_by_hand_under_its_own_name(h: Harness) -> None:
    made = h.client.create_network_volume({"name": "weights", "size": 200,
                                           "dataCenter": "EU-RO-1"})
    stack = h.stack()
    with pytest.raises(UsageError, match="is in CA-MTL-1, but volume hf-cache is declared in "
                                         "EU-RO-1, US-TX-3"):
        other = h.client.create_network_volume({"name": "x", "size": 10,
                                                "dataCenter": "CA-MTL-1"})
        state_import_volume(h.session, stack, h.client, "hf-cache", other["id"])
    with pytest.raises(UsageError, match="not a volume of demo/prod"):
        state_import_volume(h.session, stack, h.client, "weights", made["id"])
    record = state_import_volume(h.session, stack, h.client, "hf-cache", made["id"])
    assert (record.id, record.data_center) == (made["id"], "EU-RO-1")
    plan = h.plan(stack)  # EU-RO-1 is the imported volume; only US-TX-3 is made
    assert [(a.action, a.data_center) for a in plan.volume_actions] == [("create", "US-TX-3")]
    assert h.apply(stack).converged, h.logs
    names = {v["id"]: v["name"] for v in h.client.list_network_volumes()}
    assert names[made["id"]] == "weights"  # never renamed behind the user's back
    assert h.recorded()["demo-prod-hf-cache-EU-RO-1"] == made["id"]
    by_dc = {dc: h.recorded()[f"demo-prod-hf-cache-{dc}"] for dc in ("EU-RO-1", "US-TX-3")}
    (pod,) = h.client.list_pods()  # on the copy of its data center, imported or made
    assert pod["mounts"]["network"][0]["volumeId"] == by_dc[pod["dataCenterId"]]
    assert not h.plan(stack).has_changes


def test_state_rm_volume_forgets_it_and_the_next_plan_never_deletes_it(h: Harness) -> None:
    no_pod = POD.replace("    network_volume: {name: hf-cache, path: /workspace}\n", "")
    assert h.apply(h.stack(200, no_pod)).converged, h.logs
    forgotten = state_rm_volume(h.session, h.stack(200, no_pod), "hf-cache")
    assert forgotten == ["demo-prod-hf-cache-EU-RO-1", "demo-prod-hf-cache-US-TX-3"]
    assert h.recorded() == {}
    removed = h.plan(h.stack(0, no_pod, guard="{allow_data_loss: true, allow_delete: true}"))
    assert removed.volume_actions == () and not removed.violations
    with pytest.raises(UsageError, match="not in the state"):
        state_rm_volume(h.session, h.stack(200, no_pod), "hf-cache")
    assert len(h.client.list_network_volumes()) == 2  # RunPod untouched
