"""Drift and status of network volumes (CONTRACT §6, §14): existence and size."""

from __future__ import annotations

from gitops_runner.plan.network_volume_drift import volume_drift, volume_rows
from tests.plan.factories import stack_from_yaml
from tests.plan.test_network_volumes import (
    MOVED,
    POD,
    observed,
    recorded,
    recorded_as_weights,
    volumes,
)


def test_a_volume_gone_or_resized_on_runpod_is_drift() -> None:
    stack = stack_from_yaml(POD, volumes(200))
    assert volume_drift(stack, recorded(), observed()) == []
    resized = [observed()[0], {**observed()[1], "size": 250}]
    findings = volume_drift(stack, recorded(), resized[1:])
    assert [(f.pod, f.kind, f.reasons) for f in findings] == [
        ("volume hf-cache [EU-RO-1]", "drift", ("network volume vol0 is gone from RunPod",)),
        ("volume hf-cache [US-TX-3]", "drift", ("size_gb: applied 200, RunPod has 250",))]
    # As data too: RunPod's size -> the applied one, like a pod's drift.
    assert findings[1].to_json()["changes"] == [{"field": "size_gb", "before": 250,
                                                 "after": 200}]


def test_a_file_ahead_of_state_is_pending() -> None:
    grown = volume_drift(stack_from_yaml(POD, volumes(300)), recorded(), observed())
    assert {(f.kind, f.reasons) for f in grown} == {("pending", ("size_gb: 200 -> 300",))}
    assert [c.to_json()["after"] for f in grown for c in f.changes] == [300] * len(grown)
    pod = POD.replace("network_volume: {name: hf-cache, path: /workspace}", "")
    removed = volume_drift(stack_from_yaml(pod), recorded(), observed())
    assert {(f.kind, f.reasons) for f in removed} == {("pending",
                                                       ("removed from the deploy file",))}


def test_status_rows_show_each_copy() -> None:
    rows = volume_rows(stack_from_yaml(POD, volumes(200)), recorded(), observed()[:1])
    assert [(r["name"], r["status"], r["size_gb"]) for r in rows] == [
        ("demo-prod-hf-cache-EU-RO-1", "AVAILABLE", 200),
        ("demo-prod-hf-cache-US-TX-3", "MISSING", None)]


def test_a_pending_move_is_one_finding_per_copy_not_a_removal_and_a_create() -> None:
    state, seen = recorded_as_weights()
    stack = stack_from_yaml(POD, MOVED + volumes(200))
    findings = volume_drift(stack, state, seen)
    assert [(f.pod, f.kind, f.reasons) for f in findings] == [
        (f"volume weights [{dc}]", "pending",
         (f"moved to hf-cache: RunPod name demo-prod-weights-{dc} -> demo-prod-hf-cache-{dc}",))
        for dc in ("EU-RO-1", "US-TX-3")]


def test_status_shows_a_copy_to_rename_once_under_its_runpod_name() -> None:
    state, seen = recorded_as_weights()
    rows = volume_rows(stack_from_yaml(POD, MOVED + volumes(200)), state, seen)
    assert [(r["volume"], r["name"], r["status"]) for r in rows] == [
        ("hf-cache", "demo-prod-weights-EU-RO-1", "TO RENAME"),
        ("hf-cache", "demo-prod-weights-US-TX-3", "TO RENAME")]
