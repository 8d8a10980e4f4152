"""Edits the pod already satisfies are recorded in state only: every PATCH restarts
the container on RunPod (CONTRACT §5), so none may be sent for them."""

from __future__ import annotations

import pytest

from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.records import refreshed_record
from gitops_runner.plan.statefile import StateDoc, parse_state, render_state
from tests.plan.factories import stack_from_yaml
from tests.plan.test_diff import GUARD, POD, applied, plan, summary
from tests.plan.test_drift import findings

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
