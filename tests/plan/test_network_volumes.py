"""Plans for network volumes (CONTRACT §14): create, grow, never shrink, delete only with
allow_data_loss, foreign volumes left alone, cost, and pods narrowed to the volume."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from gitops_runner.plan.build import make_plan
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.planfile import parse_plan_file, render_plan_file
from gitops_runner.plan.records import pod_record
from gitops_runner.plan.statefile import PodRecord, StateDoc, VolumeRecord, parse_state, render_state
from gitops_runner.report.plan import render_markdown, render_plans, render_text
from tests.plan.factories import CATALOG, observed_from, stack_from_yaml

ROOT = Path(__file__).resolve().parents[2]

NOW = datetime(2026, 12, 1, tzinfo=UTC)
POD = """\
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    network_volume: {name: hf-cache, path: /workspace}
    runtime: {image: vllm/vllm-openai:v0.6.3}
    models: [{id: qwen, repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm}}]
"""


def volumes(size: int = 200, guard: str = "") -> str:
    return (guard + "volumes:\n"
            f"  - {{name: hf-cache, size_gb: {size}, data_centers: [EU-RO-1, US-TX-3]}}\n")


def recorded(size: int = 200) -> StateDoc:
    state = StateDoc.empty("demo/prod")
    for i, dc in enumerate(("EU-RO-1", "US-TX-3")):
        state = state.with_volume(f"demo-prod-hf-cache-{dc}", VolumeRecord(
            f"vol{i}", "hf-cache", dc, size, None, "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"))
    return state


def observed(size: int = 200) -> list[dict[str, object]]:
    return [{"id": f"vol{i}", "name": f"demo-prod-hf-cache-{dc}", "size": size,
             "dataCenter": dc, "type": "STANDARD"} for i, dc in enumerate(("EU-RO-1", "US-TX-3"))]


def test_new_volumes_are_created_one_per_data_center_and_pods_narrowed() -> None:
    stack = stack_from_yaml(POD, volumes())
    plan = make_plan(stack, StateDoc.empty(stack.name), [], CATALOG, {}, NOW)
    assert [(a.action, a.runpod_name, a.size_after) for a in plan.volume_actions] == [
        ("create", "demo-prod-hf-cache-EU-RO-1", 200),
        ("create", "demo-prod-hf-cache-US-TX-3", 200)]
    create = plan.actions[0]
    assert create.desired is not None
    body = create.desired.public_body
    assert body["dataCenterIds"] == ["EU-RO-1", "US-TX-3"]
    assert body["mounts"] == {"network": [{"volume": "hf-cache", "path": "/workspace"}]}
    assert body["env"]["HF_HOME"] == "/workspace/huggingface"
    assert "api: placed only in EU-RO-1, US-TX-3, where network volume hf-cache is" in plan.notes
    # Cost: 2 x 200 GB at $0.07/GB-month is in the monthly projection.
    plain = make_plan(stack_from_yaml(POD.replace("network_volume: {name: hf-cache, "
                                                  "path: /workspace}", "")),
                      StateDoc.empty(stack.name), [], CATALOG, {}, NOW)
    assert round(plan.monthly_after - plain.monthly_after, 2) == 28.0
    text = render_text(plan)
    assert "+ volume hf-cache [EU-RO-1]  create  200 GB  (demo-prod-hf-cache-EU-RO-1)" in text
    assert "Volumes: 2 to create." in text
    assert "+ volume hf-cache [US-TX-3]" in render_markdown(plan)


def test_a_converged_volume_plans_nothing_and_growing_is_one_patch_each() -> None:
    stack = stack_from_yaml(POD, volumes(200))
    assert make_plan(stack, recorded(), [], CATALOG, {}, NOW, volumes=observed()).volume_actions == ()
    grown = make_plan(stack_from_yaml(POD, volumes(300)), recorded(), [], CATALOG, {}, NOW,
                      volumes=observed())
    assert [(a.action, a.volume_id, a.size_before, a.size_after)
            for a in grown.volume_actions] == [("grow", "vol0", 200, 300),
                                               ("grow", "vol1", 200, 300)]
    assert grown.violations == ()


def test_a_shrink_is_a_plan_error_naming_the_way_out() -> None:
    plan = make_plan(stack_from_yaml(POD, volumes(100)), recorded(), [], CATALOG, {}, NOW,
                     volumes=observed())
    assert plan.volume_actions == ()
    assert len(plan.violations) == 2
    assert "size_gb 200 -> 100 is a shrink" in plan.violations[0]
    assert "set size_gb back to 200, or declare a new volume" in plan.violations[0]


def test_removing_a_volume_is_refused_without_allow_data_loss_and_names_the_data() -> None:
    pod = POD.replace("network_volume: {name: hf-cache, path: /workspace}", "")
    refused = make_plan(stack_from_yaml(pod), recorded(), [], CATALOG, {}, NOW, volumes=observed())
    assert [a.action for a in refused.volume_actions] == ["delete", "delete"]
    assert refused.volume_actions[0].destroys == (
        {"kind": "network volume", "name": "demo-prod-hf-cache-EU-RO-1", "size_gb": 200,
         "data_center": "EU-RO-1"},)
    assert any(v.startswith("allow_data_loss: removing volume hf-cache would delete network "
                            "volume demo-prod-hf-cache-EU-RO-1 (vol0, 200 GB in EU-RO-1)")
               for v in refused.violations)
    # Guardrails as data, as for pods: each copy (one per data center) by its RunPod name.
    assert sorted((v.rule, v.limit, tuple(v.value)) for v in refused.violation_details) == [
        ("allow_data_loss", False, (f"demo-prod-hf-cache-{dc}",)) for dc in ("EU-RO-1", "US-TX-3")] + [
        ("allow_delete", False, (f"demo-prod-hf-cache-{dc}",)) for dc in ("EU-RO-1", "US-TX-3")]
    assert "destroys: network volume demo-prod-hf-cache-EU-RO-1 200 GB in EU-RO-1" in \
        render_text(refused)
    data_loss_only = make_plan(stack_from_yaml(pod, "guardrails: {allow_data_loss: true}\n"),
                               recorded(), [], CATALOG, {}, NOW, volumes=observed())
    # CONTRACT §4: data loss needs allow_data_loss AND a delete allowed at all.
    assert any(v.startswith("allow_delete is false, but removing volume hf-cache")
               for v in data_loss_only.violations), data_loss_only.violations
    allowed = make_plan(stack_from_yaml(
        pod, "guardrails: {allow_data_loss: true, allow_delete: true}\n"),
        recorded(), [], CATALOG, {}, NOW, volumes=observed())
    assert allowed.violations == () and len(allowed.volume_actions) == 2


def test_a_foreign_same_named_volume_is_a_warning_and_never_an_action() -> None:
    stack = stack_from_yaml(POD, volumes())
    foreign = [{"id": "theirs", "name": "demo-prod-hf-cache-EU-RO-1", "size": 50,
                "dataCenter": "EU-RO-1", "type": "STANDARD"}]
    plan = make_plan(stack, StateDoc.empty(stack.name), [], CATALOG, {}, NOW, volumes=foreign)
    assert all(a.volume_id != "theirs" for a in plan.volume_actions)
    assert [a.action for a in plan.volume_actions] == ["create", "create"]
    assert any("network volume theirs is named 'demo-prod-hf-cache-EU-RO-1'" in w
               and "foreign, left alone" in w for w in plan.warnings)


def test_volume_actions_round_trip_the_plan_file_and_the_fingerprint() -> None:
    pod = POD.replace("network_volume: {name: hf-cache, path: /workspace}", "")
    plan = make_plan(stack_from_yaml(pod, volumes(300)), recorded(), [], CATALOG, {}, NOW,
                     volumes=observed())
    back = parse_plan_file(render_plan_file([plan]))[0]
    assert back.volume_actions == plan.volume_actions and back.fingerprint == plan.fingerprint
    no_volumes = make_plan(stack_from_yaml(pod), StateDoc.empty("demo/prod"), [], CATALOG, {},
                           NOW)
    assert no_volumes.fingerprint == make_plan(stack_from_yaml(pod), StateDoc.empty(
        "demo/prod"), [], CATALOG, {}, NOW).fingerprint


def test_state_keeps_volumes_and_old_states_still_load() -> None:
    state = recorded()
    assert parse_state(render_state(state)).volumes == state.volumes
    old = render_state(StateDoc.empty("demo/prod"))
    assert '"volumes"' not in old and parse_state(old).volumes == {}


def test_a_type_change_is_a_plan_error_and_a_vanished_volume_is_created_again() -> None:
    typed = volumes().replace("US-TX-3]}", "US-TX-3], type: HIGH_PERFORMANCE}")
    plan = make_plan(stack_from_yaml(POD, typed), recorded(), [], CATALOG, {}, NOW, volumes=observed())
    assert plan.volume_actions == ()
    assert "type is fixed at creation (STANDARD, the file says HIGH_PERFORMANCE)" in \
        plan.violations[0]
    gone = make_plan(stack_from_yaml(POD, volumes()), recorded(), [], CATALOG, {}, NOW,
                     volumes=observed()[1:])
    (create,) = gone.volume_actions
    assert (create.action, create.data_center) == ("create", "EU-RO-1")
    assert create.reasons == ("volume vol0 recorded in state is gone from RunPod (its data "
                              "with it); a new empty one is created",)


def test_a_refused_shrink_is_billed_at_the_size_the_volume_keeps() -> None:
    same = make_plan(stack_from_yaml(POD, volumes(200)), recorded(), [], CATALOG, {}, NOW,
                     volumes=observed())
    shrink = make_plan(stack_from_yaml(POD, volumes(100)), recorded(), [], CATALOG, {}, NOW,
                       volumes=observed())
    assert shrink.monthly_after == same.monthly_after


# -- `moved` (CONTRACT §4) for volumes -----------------------------------------------------
MOVED = "moved: [{from: weights, to: hf-cache}]\n"


def fresh_record(want: DesiredPod, raw: dict[str, object]) -> PodRecord:
    return pod_record(want, parse_pod(raw), None, "2026-11-01T00:00:00Z", healthy=True)


def recorded_as_weights(size: int = 200) -> tuple[StateDoc, list[dict[str, object]]]:
    """State and RunPod as an apply of a `weights` volume (two copies) left them."""
    state = StateDoc.empty("demo/prod")
    seen: list[dict[str, object]] = []
    for i, dc in enumerate(("EU-RO-1", "US-TX-3")):
        name = f"demo-prod-weights-{dc}"
        state = state.with_volume(name, VolumeRecord(
            f"vol{i}", "weights", dc, size, None, "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"))
        seen.append({"id": f"vol{i}", "name": name, "size": size, "dataCenter": dc,
                     "type": "STANDARD"})
    return state, seen


def test_moved_renames_each_copy_in_place_and_every_format_says_so() -> None:
    state, seen = recorded_as_weights()
    plan = make_plan(stack_from_yaml(POD, MOVED + volumes()), state, [], CATALOG, {}, NOW,
                     volumes=seen)
    assert [(a.action, a.volume, a.moved_from, a.old_runpod_name, a.runpod_name, a.volume_id)
            for a in plan.volume_actions] == [
        ("move", "hf-cache", "weights", f"demo-prod-weights-{dc}", f"demo-prod-hf-cache-{dc}",
         f"vol{i}") for i, dc in enumerate(("EU-RO-1", "US-TX-3"))]
    assert not plan.violations and not any(a.destroys for a in plan.volume_actions)
    text, markdown = render_text(plan), render_markdown(plan)
    assert text.count("  ~ volume hf-cache (moved from weights) [") == 2
    assert "  ~ volume hf-cache (moved from weights) [EU-RO-1]  move (PATCH name, in place)  " \
           "200 GB  (demo-prod-weights-EU-RO-1 -> demo-prod-hf-cache-EU-RO-1)" in text
    assert "Volumes: 2 to move." in text
    assert markdown.count("! volume hf-cache (moved from weights) [") == 2
    (report,) = json.loads(render_plans([plan], "json"))["stacks"]
    assert report["volume_actions"][0]["moved_from"] == {
        "volume": "weights", "runpod_name": "demo-prod-weights-EU-RO-1"}
    schema = json.loads((ROOT / "schemas/reports/plan.schema.json").read_text())
    jsonschema.validate(json.loads(render_plans([plan], "json")), schema)
    back = parse_plan_file(render_plan_file([plan]))[0]
    assert back.volume_actions == plan.volume_actions and back.fingerprint == plan.fingerprint
    # The fingerprint covers the move: the same renames from another volume differ.
    other = [replace(a, moved_from="cache") for a in plan.volume_actions]
    assert replace(plan, volume_actions=tuple(other)).fingerprint != plan.fingerprint


def test_moved_keeps_the_pod_on_its_volume_and_grows_after_the_rename() -> None:
    state, seen = recorded_as_weights()
    old = stack_from_yaml(POD.replace("name: hf-cache", "name: weights"),
                          volumes().replace("hf-cache", "weights"))
    first = make_plan(old, state, [], CATALOG, {}, NOW, volumes=seen)
    (want,) = [a.desired for a in first.actions if a.desired is not None]
    pod = observed_from(want, {}, pod_id="pod1",
                        mounts={"network": [{"volumeId": "vol0", "path": "/workspace"}]})
    state = state.with_pod("api", fresh_record(want, pod))
    plan = make_plan(stack_from_yaml(POD, MOVED + volumes(300)), state, [pod], CATALOG, {},
                     NOW, volumes=seen)
    assert [(a.action, a.data_center) for a in plan.volume_actions] == [
        ("move", "EU-RO-1"), ("grow", "EU-RO-1"), ("move", "US-TX-3"), ("grow", "US-TX-3")]
    (action,) = plan.actions
    assert (action.pod, action.action, action.state_only, action.pod_id) == (
        "api", "update", True, "pod1")


def test_without_moved_a_renamed_volume_is_a_gated_delete_and_a_create() -> None:
    state, seen = recorded_as_weights()
    plan = make_plan(stack_from_yaml(POD, volumes()), state, [], CATALOG, {}, NOW,
                     volumes=seen)
    assert sorted((a.action, a.runpod_name) for a in plan.volume_actions) == sorted(
        [("create", "demo-prod-hf-cache-EU-RO-1"), ("create", "demo-prod-hf-cache-US-TX-3"),
         ("delete", "demo-prod-weights-EU-RO-1"), ("delete", "demo-prod-weights-US-TX-3")])
    assert sum("allow_data_loss: removing volume weights" in v for v in plan.violations) == 2


def test_a_moved_volume_gone_from_runpod_is_created_and_its_old_record_forgotten() -> None:
    state, seen = recorded_as_weights()
    plan = make_plan(stack_from_yaml(POD, MOVED + volumes()), state, [], CATALOG, {}, NOW,
                     volumes=seen[1:])
    assert [(a.action, a.runpod_name, a.gone) for a in plan.volume_actions] == [
        ("create", "demo-prod-hf-cache-EU-RO-1", False),
        ("move", "demo-prod-hf-cache-US-TX-3", False),
        ("delete", "demo-prod-weights-EU-RO-1", True)]
    assert not plan.violations


def test_moving_a_single_data_center_volume_is_a_plan_error_not_a_silent_no_op() -> None:
    """`data_center: EU-RO-1` -> `US-TX-3` keeps the RunPod name: the recorded volume is in
    EU-RO-1 and cannot move; planning "no change" would bind pods to a volume they cannot
    mount (their candidates are now US-TX-3 only)."""
    one = "volumes:\n  - {name: hf-cache, size_gb: 200, data_center: US-TX-3}\n"
    state = StateDoc.empty("demo/prod").with_volume("demo-prod-hf-cache", VolumeRecord(
        "vol0", "hf-cache", "EU-RO-1", 200, None, "2026-11-01T00:00:00Z",
        "2026-11-01T00:00:00Z"))
    seen = [{"id": "vol0", "name": "demo-prod-hf-cache", "size": 200, "dataCenter": "EU-RO-1"}]
    plan = make_plan(stack_from_yaml(POD, one), state, [], CATALOG, {}, NOW,
                     volumes=seen)
    assert any("data_center" in v and "EU-RO-1" in v for v in plan.violations), plan.violations


def test_removing_a_volume_a_pod_still_mounts_by_id_is_a_plan_error() -> None:
    """`network_volume: {id}` naming a volume this stack owns: removing that volume from
    `volumes` (even with allow_data_loss) would delete the data under a declared pod."""
    by_id = POD.replace("network_volume: {name: hf-cache, path: /workspace}",
                        "network_volume: {id: vol0, path: /workspace}")
    stack = stack_from_yaml(by_id, "guardrails: {allow_data_loss: true}\n")
    plan = make_plan(stack, recorded(), [], CATALOG, {}, NOW, volumes=observed())
    assert [a.action for a in plan.volume_actions] == ["delete", "delete"]
    assert any("pod api still mount(s) it by id" in v for v in plan.violations), plan.violations
def test_a_created_volumes_type_is_reviewed_and_kept_by_the_plan_file() -> None:
    from gitops_runner.plan.network_volumes import VolumeAction, volumes_fingerprint

    fast = VolumeAction("v", "EU-RO-1", "create", "p-e-v", ("new volume",), None, 50,
                        type="HIGH_PERFORMANCE")
    plain = VolumeAction("v", "EU-RO-1", "create", "p-e-v", ("new volume",), None, 50)
    assert volumes_fingerprint([fast]) != volumes_fingerprint([plain])
    assert VolumeAction.from_json(fast.to_json()).to_json() == fast.to_json()
    assert "type" not in plain.to_json()  # plans without a type keep their fingerprint
