"""The state record (CONTRACT §4, §7): declared state-only fields are recorded at apply,
planned as reviewed state-only changes, and what `schedule` acts on."""

from __future__ import annotations

import dataclasses

import pytest

from gitops_runner.plan.build import ownership_of
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.drift import find_drift
from gitops_runner.plan.records import (
    applied_declared,
    applied_spec,
    declared_changes,
    record_spec,
    refreshed_record,
)
from gitops_runner.plan.statefile import StateDoc, parse_state, render_state
from tests.plan.factories import stack_from_yaml
from tests.plan.test_diff import GUARD, NOW, POD, SECRETS, applied, plan, summary
from tests.plan.test_drift import findings

SCHEDULE = "    schedule: {timezone: UTC, running: [\"Mon-Fri 08:00-20:00\"]}\n"


def _with(line: str) -> str:
    return POD.replace("    runtime:", line + "    runtime:")


@pytest.mark.parametrize(("line", "field"), [
    (SCHEDULE, "schedule"),
    ("    idle_stop: {gpu_util_below: 5, minutes: 60}\n", "idle_stop"),
    ("    health_check: {path: /health, port: 8000}\n", "health_check"),
    ("    rollout: {max_unavailable: 2, max_surge: 0}\n", "rollout"),
])
def test_records_declared_change_is_a_state_only_update(line: str, field: str) -> None:
    raw, state = applied()
    p = plan(_with(line), [raw], state)
    (action,) = p.actions
    assert (action.action, action.state_only, action.patch_fields) == ("update", True, ())
    assert [c.field for c in action.changes] == [field]
    assert action.changes[0].before is None or field == "rollout"
    assert p.has_changes and p.fingerprint != plan(POD, [raw], state).fingerprint
    assert action.reasons[0].startswith("state only, no RunPod request")


def test_records_declared_change_rides_along_with_a_runpod_change() -> None:
    raw, state = applied()
    p = plan(_with(SCHEDULE).replace("info", "debug"), [raw], state)
    (action,) = p.actions
    assert not action.state_only and action.patch_fields == ("env",)
    assert [c.field for c in action.changes] == ["env.LOG_LEVEL", "schedule"]


def test_records_applied_declared_fields_plan_no_changes() -> None:
    pods = _with(SCHEDULE)
    raw, state = applied(pods)
    assert summary(plan(pods, [raw], state)) == []
    assert declared_changes(state.pods["api"], desired_pods(stack_from_yaml(pods, GUARD))[0]) \
        == []


def test_records_state_from_before_declared_reads_as_defaults() -> None:
    raw, state = applied()
    old = {k: v for k, v in state.pods["api"].spec.items() if k != "declared"}
    state = state.with_pod("api", dataclasses.replace(state.pods["api"], spec=old))
    assert applied_declared(state.pods["api"])["schedule"] is None
    assert summary(plan(POD, [raw], state)) == []  # defaults declared: nothing to review
    assert [c.field for c in plan(_with(SCHEDULE), [raw], state).actions[0].changes] == \
        ["schedule"]


def test_records_declared_fields_survive_the_state_file() -> None:
    pods = _with(SCHEDULE)
    _, state = applied(pods)
    again = parse_state(render_state(state))
    assert again.pods["api"].spec["declared"]["schedule"] == {
        "timezone": "UTC", "running": ["Mon-Fri 08:00-20:00"], "on_no_gpu": "report"}


def test_records_schedule_acts_on_the_applied_windows_not_the_file() -> None:
    _, state = applied()  # applied without a schedule
    (want,) = desired_pods(stack_from_yaml(_with(SCHEDULE), GUARD))
    assert want.spec is not None and want.spec.schedule is not None
    acting = applied_spec(want.spec, state.pods["api"])
    assert acting.schedule is None and acting.idle_stop is None
    _, scheduled = applied(_with(SCHEDULE))
    assert applied_spec(want.spec, scheduled.pods["api"]).schedule == want.spec.schedule


def test_records_record_spec_keeps_body_candidates_and_declared() -> None:
    (want,) = desired_pods(stack_from_yaml(POD, GUARD))
    spec = record_spec(want)
    assert spec["gpu"]["candidates"] == list(want.candidates)
    assert spec["declared"]["status"] == "running"
    assert spec["image"] == want.public_body["image"]


def test_records_unapplied_declared_change_is_pending_drift() -> None:
    raw, state = applied()
    found = findings([raw], state, pods=_with(SCHEDULE))
    assert [(pod, kind) for pod, kind, _ in found] == [("api", "pending")]
    assert found[0][2][1].startswith("schedule: (none) -> ")


def test_records_stack_guardrail_and_preview_changes_are_reviewed() -> None:
    from gitops_runner.plan.drift import stack_findings
    from gitops_runner.report.plan import render_text

    raw, state = applied()
    extra = "guardrails: {allow_delete: true, max_hourly_cost: 50}\n"
    p = plan(POD, [raw], state, extra=extra)
    assert p.actions == () and p.has_changes
    assert [c.describe() for c in p.stack_changes] == [
        "guardrails.max_hourly_cost: (none) -> 50"]
    assert p.fingerprint != plan(POD, [raw], state).fingerprint
    text = render_text(p)
    assert "  ~ stack demo/prod  update (state only)\n" in text
    assert "1 stack setting(s) to record (state only)" in text
    stack = stack_from_yaml(POD, extra)
    (finding,) = stack_findings(stack, state)
    assert (finding.pod, finding.kind) == ("demo/prod", "pending")


def test_records_state_that_never_recorded_the_stack_compares_with_defaults() -> None:
    raw, state = applied()
    old = dataclasses.replace(state, declared=None)
    assert [c.describe() for c in plan(POD, [raw], old).stack_changes] == [
        "guardrails.allow_delete: False -> True"]
    assert plan(POD, [raw], old, extra="").stack_changes == ()
    again = parse_state(render_state(state))
    assert again.declared == state.declared
    assert '"declared"' not in render_state(old).split('"pods"')[1].split('"history"')[1]


def test_records_preview_policy_change_is_a_stack_change_but_pod_edits_are_not() -> None:
    preview = "preview: {label: preview, ttl_hours: 24, max_hourly_cost: 2}\n"
    raw, state = applied(extra=GUARD + preview)
    assert plan(POD, [raw], state, extra=GUARD + preview).stack_changes == ()
    cheaper = plan(POD, [raw], state, extra=GUARD + preview.replace("cost: 2", "cost: 1"))
    assert [c.describe() for c in cheaper.stack_changes] == [
        "preview.max_hourly_cost: 2 -> 1"]
    edited = plan(POD.replace("info", "debug"), [raw], state, extra=GUARD + preview)
    assert edited.stack_changes == () and len(edited.actions) == 1


SERVED = POD + ("    models: [{id: q, repo: Qwen/Qwen2.5-7B-Instruct, "
                "load: {engine: vllm, max_seq_len: 8192}}]\n")


def test_a_models_edit_is_shown_as_the_model_field_not_the_derived_args() -> None:
    raw, state = applied(SERVED)
    p = plan(SERVED.replace("8192", "16384"), [raw], state)
    [action] = p.actions
    assert action.action == "update" and "args" in action.patch_fields  # still sent
    assert [c.describe() for c in action.changes] == ["models[0].load.max_seq_len: 8192 -> 16384"]


def test_args_changed_on_runpod_too_stay_args_so_drift_is_not_hidden() -> None:
    raw, state = applied(SERVED)
    raw["args"] = "--model other"
    p = plan(SERVED.replace("8192", "16384"), [raw], state)
    assert [c.field for c in p.actions[0].changes] == ["args"]


def test_state_recorded_before_models_were_kept_shows_args() -> None:
    raw, state = applied(SERVED)
    record = state.pods["api"]
    old = dataclasses.replace(record, spec={k: v for k, v in record.spec.items() if k != "models"})
    p = plan(SERVED.replace("8192", "16384"), [raw], state.with_pod("api", old))
    assert [c.field for c in p.actions[0].changes] == ["args"]


def test_drift_pending_names_the_model_field() -> None:
    raw, state = applied(SERVED)
    stack = stack_from_yaml(SERVED.replace("8192", "16384"), GUARD)
    desired = desired_pods(stack)
    found = find_drift(desired, state, ownership_of(stack, desired, [raw], state), SECRETS,
                       NOW)
    assert found[0].reasons[1:] == ("models[0].load.max_seq_len: 8192 -> 16384",)


# Edits the pod already satisfies are recorded in state only: every PATCH restarts
# the container on RunPod (CONTRACT §5), so none may be sent for them.
PLACEMENT_EDITS = [
    ("fallback: [NVIDIA RTX A6000]", "fallback: [NVIDIA RTX A6000, NVIDIA A40]"),
    ("gpu: {type: NVIDIA GeForce RTX 4090,", "data_centers: [EU-RO-1, US-TX-3]\n"
                                            "    gpu: {type: NVIDIA GeForce RTX 4090,"),
    ("fallback: [NVIDIA RTX A6000]}", "fallback: [NVIDIA RTX A6000], "
                                      "min_cuda_version: \"12.4\"}"),
]


@pytest.mark.parametrize("edit", PLACEMENT_EDITS)
def test_refresh_satisfied_placement_edit_sends_no_request(edit: tuple[str, str]) -> None:
    raw, state = applied()
    p = plan(POD.replace(*edit), [raw], state)
    assert [(a.action, a.state_only, a.patch_fields, a.start) for a in p.actions] == [
        ("update", True, (), False)]
    assert p.actions[0].reasons[0].startswith("state only, no RunPod request: ")


@pytest.mark.parametrize("edit", PLACEMENT_EDITS)
def test_refresh_recorded_state_is_converged_for_plan_and_drift(edit: tuple[str, str]) -> None:
    raw, state = applied()
    pods = POD.replace(*edit)
    want = desired_pods(stack_from_yaml(pods, GUARD))[0]
    record = refreshed_record(state.pods["api"], want, "2026-11-27T11:00:00Z")
    after = state.with_pod("api", record)
    assert plan(pods, [raw], after).actions == ()
    assert findings([raw], after, pods) == []
    # The pod keeps its old marker; state remembers it across a save and load.
    assert record.pod_marker == state.pods["api"].spec_hash
    assert parse_state(render_state(after)).pods["api"] == record


def test_refresh_rotated_secret_is_still_an_in_place_update() -> None:
    raw, state = applied()
    p = plan(POD.replace(*PLACEMENT_EDITS[0]), [raw], state, secrets={"HF_TOKEN": "hf_rotated"})
    assert summary(p) == [("api", "update", ("env.HF_TOKEN: (sensitive value changed)",))]
    assert not p.actions[0].state_only and p.actions[0].patch_fields == ("env",)


def test_refresh_unmet_cuda_floor_is_still_a_replace() -> None:
    raw, state = applied(cudaVersion="12.2")
    p = plan(POD.replace(*PLACEMENT_EDITS[2]), [raw], state)
    assert summary(p) == [("api", "replace", ("gpu.min_cuda_version: host has CUDA 12.2, "
                                              "below 12.4",))]


def test_refresh_state_without_pod_marker_still_loads() -> None:
    _, state = applied()
    text = render_state(state)
    assert "pod_marker" not in text
    assert parse_state(text) == state


def test_refresh_marker_changed_by_hand_is_still_drift() -> None:
    raw, state = applied()
    raw["env"] = {**raw["env"], "GITOPS_RUNNER_SPEC": "0" * 64}
    assert findings([raw], state) == [
        ("api", "drift", ("the pod's spec marker differs from the applied spec",))]


def test_refresh_empty_state_is_unaffected() -> None:
    assert summary(plan(observed=[], state=StateDoc.empty("demo/prod", "l"))) == [
        ("api", "create", ("new pod",))]
