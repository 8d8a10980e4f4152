from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gitops_runner.plan.build import ownership_of
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.drift import find_drift
from gitops_runner.plan.statefile import StateDoc
from tests.plan.factories import stack_from_yaml
from tests.plan.test_diff import GUARD, NOW, POD, SECRETS, applied


def findings(observed: list[dict[str, Any]], state: StateDoc, pods: str = POD,
             extra: str = GUARD, secrets: dict[str, str] | None = None) -> list[tuple[str, str,
                                                                                 tuple[str, ...]]]:
    stack = stack_from_yaml(pods, extra)
    desired = desired_pods(stack)
    own = ownership_of(stack, desired, observed, state)
    found = find_drift(desired, state, own, SECRETS if secrets is None else secrets, NOW,
                       stack.guardrails.ttl_hours)
    return [(f.pod, f.kind, f.reasons) for f in found]


def test_drift_converged_has_no_findings() -> None:
    raw, state = applied()
    assert findings([raw], state) == []


@pytest.mark.parametrize("change, reason", [
    ({"status": "EXITED"}, "status: EXITED"),
    ({"status": "ERROR"}, "status: ERROR"),
    ({"image": "evil:1"}, "changed outside gitops-runner (RunPod -> applied): image: 'evil:1' "
                          "-> 'vllm/vllm-openai:v0.6.3'"),
    ({"ports": ["9999/http"]}, "changed outside gitops-runner (RunPod -> applied): ports: "
                               "[9999/http] -> [8000/http]"),
])
def test_drift_runpod_changed_behind_our_back(change: dict[str, Any], reason: str) -> None:
    raw, state = applied()
    raw.update(change)
    assert findings([raw], state) == [("api", "drift", (reason,))]


def test_drift_pod_missing_from_runpod() -> None:
    _, state = applied()
    assert findings([], state) == [("api", "drift", ("pod pod1 is missing from RunPod",))]


def test_drift_file_changed_since_apply_is_pending() -> None:
    raw, state = applied()
    found = findings([raw], state, POD.replace("info", "debug"))
    assert found == [("api", "pending", ("the deploy file changed since the last apply",
                                         "env: changed"))]


def test_drift_new_pod_in_file_is_pending() -> None:
    raw, state = applied()
    pods = POD + "  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n"
    assert ("web", "pending", ("not applied yet",)) in findings([raw], state, pods)


def test_drift_pod_removed_from_file_is_pending() -> None:
    raw, state = applied()
    other = "pods:\n  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n"
    assert ("api", "pending", ("removed from the deploy file but still applied",)) in \
        findings([raw], state, other)


def test_drift_rotated_secret_is_pending_only_when_the_runner_has_it() -> None:
    raw, state = applied()
    assert findings([raw], state, secrets={"HF_TOKEN": "hf_new"}) == [
        ("api", "pending", ("env.HF_TOKEN: (sensitive value changed)",))]
    assert findings([raw], state, secrets={}) == []


def test_drift_stray_pod_with_our_markers() -> None:
    raw, state = applied()
    stray, _ = applied(pod_id="pod9")
    assert ("api", "drift", ("pod pod9 carries this stack's markers but is not in state (left "
                             "by an interrupted apply, or created by hand)",)) in \
        findings([raw, stray], state)


def test_drift_expired_pod() -> None:
    raw, state = applied()
    assert findings([raw], state, extra="guardrails: {ttl_hours: 1}\n") == [
        ("api", "expired", ("2.0h old, over ttl_hours 1",))]


def test_drift_spec_marker_changed_by_hand() -> None:
    raw, state = applied()
    raw["env"] = {**raw["env"], "GITOPS_RUNNER_SPEC": "0" * 64}
    assert findings([raw], state) == [
        ("api", "drift", ("the pod's spec marker differs from the applied spec",))]


def test_drift_state_of_older_version_without_candidates_still_compares() -> None:
    raw, state = applied()
    record = state.pods["api"]
    spec = dict(record.spec)
    spec["gpu"] = {k: v for k, v in spec["gpu"].items() if k != "candidates"}
    state = state.with_pod("api", replace(record, spec=spec))
    assert findings([raw], state) == []


def _found(observed: list[dict[str, Any]], state: StateDoc, pods: str = POD) -> list[Any]:
    stack = stack_from_yaml(pods, GUARD)
    desired = desired_pods(stack)
    own = ownership_of(stack, desired, observed, state)
    return find_drift(desired, state, own, SECRETS, NOW, stack.guardrails.ttl_hours)


def test_drift_findings_carry_their_field_changes_as_data() -> None:
    raw, state = applied()
    raw.update({"image": "evil:1"})
    [finding] = _found([raw], state)
    assert finding.to_json()["changes"] == [
        {"field": "image", "before": "evil:1", "after": "vllm/vllm-openai:v0.6.3"}]
    missing = _found([], state)[0].to_json()
    assert missing["reasons"] == ["pod pod1 is missing from RunPod"] and missing["changes"] == []


def test_drift_pending_finding_carries_the_file_change() -> None:
    raw, state = applied()
    [finding] = _found([raw], state, POD.replace("info", "debug"))
    [change] = finding.to_json()["changes"]
    assert change["field"] == "env" and change["before"] != change["after"]
