from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from gitops_runner.plan.build import make_plan
from gitops_runner.plan.desired import DesiredPod, desired_pods
from gitops_runner.plan.model import Plan
from gitops_runner.plan.records import record_spec, stack_declared
from gitops_runner.plan.statefile import PodRecord, StateDoc
from tests.plan.factories import CATALOG, observed_from, stack_from_yaml

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SECRETS = {"HF_TOKEN": "hf_current_value"}
POD = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000]}
    ports: ["8000/http"]
    volume: {size_gb: 20, path: /workspace}
    runtime:
      image: vllm/vllm-openai:v0.6.3
      env: {LOG_LEVEL: info, HF_TOKEN: {secret: HF_TOKEN}}
"""
GUARD = "guardrails: {allow_delete: true}\n"


def state_for(want: DesiredPod, pod_id: str = "pod1", healthy: bool = True,
              superseded: tuple[str, ...] = ()) -> StateDoc:
    doc = StateDoc.empty("demo/prod", "lineage-1")
    return doc.with_pod(want.logical, PodRecord(
        id=pod_id, runpod_name=want.runpod_name, spec_hash=want.spec_hash, gpu=want.candidates[0],
        gpu_count=1, cost=0.69, created_at="2026-11-27T10:00:00Z",
        updated_at="2026-11-27T10:00:00Z", spec=record_spec(want), healthy=healthy,
        superseded=superseded))


def plan(pods: str = POD, observed: list[dict[str, Any]] | None = None,
         state: StateDoc | None = None, extra: str = GUARD, now: datetime = NOW,
         secrets: dict[str, str] | None = None) -> Plan:
    stack = stack_from_yaml(pods, extra)
    return make_plan(stack, state or StateDoc.empty("demo/prod", "lineage-1"), observed or [],
                     CATALOG, SECRETS if secrets is None else secrets, now)


def applied(pods: str = POD, extra: str = GUARD, **changes: Any) -> tuple[dict[str, Any],
                                                                          StateDoc]:
    stack = stack_from_yaml(pods, extra)
    want = desired_pods(stack)[0]
    # As apply leaves it: the stack's own declared fields recorded too (CONTRACT §4).
    state = replace(state_for(want), declared=stack_declared(stack))
    return observed_from(want, SECRETS, **changes), state


def summary(p: Plan) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(a.pod, a.action, a.reasons) for a in p.actions]


def test_diff_new_pod_is_created_with_cost() -> None:
    p = plan()
    assert summary(p) == [("api", "create", ("new pod",))]
    assert p.cost_before == 0 and p.cost_after == 0.69 and p.cost_delta == 0.69
    assert p.actions[0].after is not None and p.actions[0].after["env"]["HF_TOKEN"] == \
        "(secret HF_TOKEN)"


def test_diff_converged_pod_has_no_actions() -> None:
    raw, state = applied()
    p = plan(observed=[raw], state=state)
    assert p.actions == () and p.unchanged == ("api",)
    assert p.cost_before == p.cost_after == 0.69


def test_diff_in_place_update_names_fields() -> None:
    raw, state = applied()
    p = plan(POD.replace("v0.6.3", "v0.6.4").replace("info", "debug"), [raw], state)
    assert summary(p) == [("api", "update", (
        "image: 'vllm/vllm-openai:v0.6.3' -> 'vllm/vllm-openai:v0.6.4'",
        "env.LOG_LEVEL: 'info' -> 'debug'"))]
    assert p.actions[0].patch_fields == ("image", "env")
    assert p.actions[0].pod_id == "pod1"


def test_diff_rotated_secret_is_sensitive_update() -> None:
    raw, state = applied()
    p = plan(observed=[raw], state=state, secrets={"HF_TOKEN": "hf_rotated"})
    assert summary(p) == [("api", "update", ("env.HF_TOKEN: (sensitive value changed)",))]
    text = str([a.to_json() for a in p.actions])
    assert "hf_rotated" not in text and "hf_current_value" not in text


@pytest.mark.parametrize("edit, reason", [
    (("count: 1}", "count: 2}"), "gpu.count: 1 -> 2"),
    (("volume: {size_gb: 20, path: /workspace}", "network_volume: {id: v1, path: /workspace}"),
     "storage: pod volume -> network volume"),
])
def test_diff_replace_reasons(edit: tuple[str, str], reason: str) -> None:
    pods = POD.replace("fallback: [NVIDIA RTX A6000]}", "fallback: [NVIDIA RTX A6000], count: 1}")
    raw, state = applied(pods)
    p = plan(pods.replace(*edit), [raw], state)
    assert summary(p) == [("api", "replace", (reason,))]


def test_diff_gpu_type_change_to_a_type_the_pod_lacks_is_replace() -> None:
    raw, state = applied()
    p = plan(POD.replace("fallback: [NVIDIA RTX A6000]", "fallback: []").replace(
        "NVIDIA GeForce RTX 4090", "NVIDIA L40S"), [raw], state)
    assert summary(p) == [("api", "replace", ("gpu: 'NVIDIA GeForce RTX 4090' -> 'NVIDIA L40S'",))]


def test_diff_pod_on_fallback_gpu_is_converged_with_note() -> None:
    raw, state = applied(gpu="NVIDIA RTX A6000")
    p = plan(observed=[raw], state=state)
    assert p.actions == ()
    assert p.notes == ("api: running on fallback GPU NVIDIA RTX A6000 (first choice "
                       "NVIDIA GeForce RTX 4090)",)


def test_diff_fallback_pod_is_replaced_when_fallback_is_forbidden() -> None:
    extra = "guardrails: {allow_delete: true, allow_gpu_fallback: false}\n"
    raw, state = applied(gpu="NVIDIA RTX A6000")
    p = plan(observed=[raw], state=state, extra=extra)
    assert p.actions[0].action == "replace"
    assert p.actions[0].reasons[0] == "gpu: 'NVIDIA RTX A6000' -> 'NVIDIA GeForce RTX 4090'"


def test_diff_exited_pod_is_started() -> None:
    raw, state = applied(status="EXITED")
    p = plan(observed=[raw], state=state)
    assert summary(p) == [("api", "start", ("status: EXITED (stopped outside gitops-runner) "
                                             "-> start",))]
    assert p.actions[0].start and p.actions[0].patch_fields == ()


def test_diff_error_pod_is_replaced() -> None:
    raw, state = applied(status="ERROR")
    assert summary(plan(observed=[raw], state=state)) == [
        ("api", "replace", ("status: ERROR (the pod failed on RunPod)",))]


def test_diff_pod_gone_from_runpod_is_recreated() -> None:
    _, state = applied()
    assert summary(plan(observed=[], state=state)) == [
        ("api", "create", ("pod pod1 recorded in state is gone from RunPod",))]


def test_diff_pod_removed_from_file_is_deleted() -> None:
    raw, state = applied()
    other = POD.replace("name: api", "name: web")
    p = plan(other, [raw], state)
    assert ("api", "delete", ("not in the deploy file any more",)) in summary(p)
    assert ("web", "create", ("new pod",)) in summary(p)


def test_diff_marked_pod_missing_from_state_is_adopted() -> None:
    raw, _ = applied()
    p = plan(observed=[raw])
    assert summary(p) == [("api", "adopt", ("adopting pod pod1 found by its markers "
                                            "(not in state)",))]


def test_diff_unmarked_pod_with_our_name_is_left_alone_with_warning() -> None:
    raw, _ = applied()
    raw["env"] = {}
    p = plan(observed=[raw])
    assert summary(p) == [("api", "create", ("new pod",))]
    assert p.warnings and "has no gitops-runner markers; it is left alone" in p.warnings[0]


def test_diff_other_stacks_pods_are_ignored() -> None:
    raw, _ = applied()
    raw["env"] = {**raw["env"], "GITOPS_RUNNER_STACK": "demo/dev"}
    assert summary(plan(observed=[raw])) == [("api", "create", ("new pod",))]


def test_diff_duplicate_from_crash_is_deleted_after_primary_is_ready() -> None:
    raw, state = applied()
    dup, _ = applied(pod_id="pod2", created="2026-11-27T11:00:00Z")
    p = plan(observed=[raw, dup], state=state)
    assert len(p.actions) == 1
    action = p.actions[0]
    assert (action.action, action.pod_id, action.wait_for) == ("delete", "pod2", "api")
    assert "duplicate of pod pod1" in action.reasons[0]


def test_diff_replacement_left_by_crash_becomes_primary() -> None:
    old, state = applied()
    new_stack = POD.replace("fallback: [NVIDIA RTX A6000]", "fallback: [NVIDIA RTX A6000], "
                            "count: 2")
    want = desired_pods(stack_from_yaml(new_stack, GUARD))[0]
    new = observed_from(want, SECRETS, pod_id="pod2")
    p = plan(new_stack, [old, new], state)
    assert summary(p) == [("api", "delete", ("replaced by pod pod2; terminating pod1 once "
                                             "that is ready",)),
                          ("api", "adopt", ("adopting pod pod2 found by its markers "
                                            "(not in state)",))]


def test_diff_unhealthy_pod_is_waited_for_again_not_recreated() -> None:
    want = desired_pods(stack_from_yaml(POD, GUARD))[0]
    raw = observed_from(want, SECRETS)
    p = plan(observed=[raw], state=state_for(want, healthy=False))
    assert summary(p) == [("api", "update", ("health check did not pass at the last apply; "
                                             "waiting for it again",))]


def test_diff_ttl_expired_pod_is_replaced() -> None:
    raw, state = applied()
    extra = "guardrails: {allow_delete: true, ttl_hours: 1}\n"
    p = plan(observed=[raw], state=state, extra=extra)
    assert summary(p) == [("api", "replace", ("expired: 2.0h old, over ttl_hours 1",))]


def test_diff_state_only_pod_not_desired_is_forgotten() -> None:
    _, state = applied()
    p = plan(POD.replace("name: api", "name: web"), [], state)
    assert ("api", "delete", ("pod pod1 is already gone from RunPod; removing it from state",)) \
        in summary(p)
    assert not any(a.terminates for a in p.actions)


def test_diff_fingerprint_ignores_status_and_cost() -> None:
    raw, state = applied()
    a = plan(POD.replace("info", "debug"), [raw], state)
    raw2 = {**raw, "status": "STARTING", "cost": 0.5}
    b = plan(POD.replace("info", "debug"), [raw2], state)
    assert a.fingerprint == b.fingerprint
    assert a.observed_fingerprint == b.observed_fingerprint
    c = plan(POD.replace("info", "trace"), [raw], state)
    assert c.fingerprint != a.fingerprint


def test_diff_pod_written_a_moment_ago_but_not_listed_yet_is_left_alone() -> None:
    # RunPod's list lags its writes: re-creating a pod recorded seconds ago, and never
    # seen since its create (not checked ready yet), would duplicate it.
    want = desired_pods(stack_from_yaml(POD, GUARD))[0]
    state = state_for(want, healthy=False)
    recent = plan(POD, [], state, now=datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC))
    assert recent.actions == () and recent.unchanged == ("api",)
    assert any("not in RunPod's list yet" in n for n in recent.notes)
    later = plan(POD, [], state, now=datetime(2026, 11, 27, 10, 5, tzinfo=UTC))
    assert summary(later) == [
        ("api", "create", ("pod pod1 recorded in state is gone from RunPod",))]


def _renamed(old: str = "chat", moved: bool = True) -> Plan:
    chat = POD.replace("name: api", f"name: {old}")
    raw, state = applied(chat)
    extra = GUARD + ("moved: [{from: chat, to: api}]\n" if moved else "")
    return plan(POD, [raw], state, extra=extra)


def test_diff_moved_entry_keeps_its_pod_and_renames_it() -> None:
    p = _renamed()
    (action,) = p.actions
    assert (action.pod, action.action, action.moved_from, action.pod_id) == (
        "api", "update", "chat", "pod1")
    assert set(action.patch_fields) == {"name", "env"} and action.destroys == ()
    assert [c.field for c in action.changes] == ["name", "env.GITOPS_RUNNER_POD"]


def test_diff_rename_without_moved_is_delete_and_create_that_destroys_the_volume() -> None:
    p = _renamed(moved=False)
    assert sorted((a.pod, a.action) for a in p.actions) == [("api", "create"), ("chat", "delete")]
    (delete,) = [a for a in p.actions if a.action == "delete"]
    assert [d.to_json() for d in delete.destroys] == [
        {"kind": "pod volume", "size_gb": 20, "path": "/workspace"}]


def test_diff_moved_does_not_apply_when_the_new_name_already_has_a_pod() -> None:
    raw, state = applied()
    p = plan(POD, [raw], state, extra=GUARD + "moved: [{from: chat, to: api}]\n")
    assert p.actions == ()


def test_diff_scale_down_of_volume_replicas_names_the_loss() -> None:
    pods = POD.replace("  - name: api\n", "  - name: api\n    replicas: 2\n")
    stack = stack_from_yaml(pods, GUARD)
    observed, state = [], StateDoc.empty("demo/prod", "lineage-1")
    for i, want in enumerate(desired_pods(stack)):
        observed.append(observed_from(want, SECRETS, pod_id=f"pod{i}"))
        state = state.with_pod(want.logical, state_for(want, f"pod{i}").pods[want.logical])
    p = plan(POD, observed, state)
    (delete,) = p.actions
    assert (delete.pod, delete.action) == ("api-1", "delete")
    assert [d.describe() for d in delete.destroys] == ["destroys: pod volume 20 GB at /workspace"]
    assert any(v.startswith("allow_data_loss is false") for v in p.violations)


def test_diff_disk_change_is_in_place() -> None:
    raw, state = applied()
    (action,) = plan(POD.replace("    ports:", "    disk_gb: 40\n    ports:"), [raw],
                     state).actions
    assert (action.action, action.patch_fields) == ("update", ("disk",))
    assert action.changes[0].describe() == "disk_gb: 20 -> 40"


def test_diff_pod_seen_ready_then_gone_within_the_grace_is_missing_now() -> None:
    # #22: a pod terminated within a minute of its create is not a lagging read once it
    # was seen (it passed its readiness check): apply re-creates it at once.
    _, state = applied()
    recent = plan(POD, [], state, now=datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC))
    assert summary(recent) == [
        ("api", "create", ("pod pod1 recorded in state is gone from RunPod",))]


def test_diff_pod_read_by_id_as_terminated_within_the_grace_is_missing_now() -> None:
    want = desired_pods(stack_from_yaml(POD, GUARD))[0]
    gone = observed_from(want, SECRETS, status="TERMINATED")
    recent = plan(POD, [gone], state_for(want, healthy=False),
                  now=datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC))
    assert [a.action for a in recent.actions] == ["create"]


def test_diff_moved_onto_a_name_that_has_a_pod_says_it_is_not_applied() -> None:
    """State has both chat and api; `moved: chat -> api` cannot keep chat's pod: the plan
    deletes chat (gated: it has a pod volume) and says the move was not applied."""
    two = POD + POD.split("pods:\n", 1)[1].replace("name: api", "name: chat")
    raw_api, state = applied(two)
    chat = next(w for w in desired_pods(stack_from_yaml(two, GUARD)) if w.logical == "chat")
    state = state.with_pod("chat", state_for(chat, "pod2").pods["chat"])
    p = plan(POD, [raw_api, observed_from(chat, SECRETS, pod_id="pod2")], state,
             extra=GUARD + "moved: [{from: chat, to: api}]\n")
    assert [(a.pod, a.action) for a in p.actions] == [("chat", "delete")]
    assert any(v.startswith("allow_data_loss is false") for v in p.violations)
    assert "moved chat -> api is not applied: api already has a pod, so chat is not kept" \
        in p.notes
def test_an_env_key_runpod_adds_never_moves_the_fingerprint() -> None:
    """RunPod's own env keys are ignored by plan (CONTRACT §4): one that appears between
    review and merge (a restart, a platform change) leaves the reviewed fingerprint alone."""
    raw, state = applied()
    edited = POD.replace("LOG_LEVEL: info", "LOG_LEVEL: debug")
    reviewed = plan(edited, [raw], state)
    raw = {**raw, "env": {**raw["env"], "RUNPOD_POD_HOSTNAME": "x-64410", "PUBLIC_KEY": "k"}}
    merged = plan(edited, [raw], state)
    assert [a.action for a in merged.actions] == ["update"]
    assert merged.fingerprint == reviewed.fingerprint
    assert "RUNPOD_POD_HOSTNAME" not in merged.actions[0].before["env"]  # type: ignore[index]


@pytest.mark.parametrize(("key", "value"), [("mounts", {}), ("mounts", None), ("image", None),
                                            ("ports", None)])
def test_a_field_runpod_leaves_out_never_moves_the_fingerprint(key: str, value: Any) -> None:
    """Unknown, never a difference (CONTRACT §4): a field RunPod leaves out or misreports
    at merge time leaves the reviewed update's fingerprint alone."""
    raw, state = applied()
    edited = POD.replace("LOG_LEVEL: info", "LOG_LEVEL: debug")
    reviewed = plan(edited, [raw], state)
    merged = plan(edited, [{**raw, key: value}], state)
    assert [c.describe() for c in merged.actions[0].changes] == \
        [c.describe() for c in reviewed.actions[0].changes]
    assert merged.fingerprint == reviewed.fingerprint
