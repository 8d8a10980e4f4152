"""Render/parse pairs: plan file and state file."""

from __future__ import annotations

import json

import pytest

from gitops_runner.plan.planfile import PlanFileError, parse_plan_file, render_plan_file
from gitops_runner.plan.statefile import (
    FORMAT_VERSION,
    HistoryEntry,
    StateConflictError,
    StateFormatError,
    check_successor,
    parse_state,
    render_state,
)
from tests.plan.test_diff import POD, applied, plan


def test_planfile_round_trip_keeps_fingerprint() -> None:
    raw, state = applied()
    original = plan(POD.replace("info", "debug"), [raw], state)
    [parsed] = parse_plan_file(render_plan_file([original]))
    assert parsed.fingerprint == original.fingerprint
    assert parsed.actions == original.actions
    assert (parsed.lineage, parsed.serial) == (original.lineage, original.serial)


def test_planfile_has_contract_keys_and_no_secret_values() -> None:
    raw, state = applied()
    text = render_plan_file([plan(observed=[raw], state=state,
                                  secrets={"HF_TOKEN": "hf_rotated_secret"})])
    data = json.loads(text)["stacks"][0]
    assert {"format_version", "stack", "state", "observed_fingerprint", "fingerprint",
            "actions", "cost", "guardrail_violations", "warnings"} <= set(data)
    assert set(data["actions"][0]) == {"pod", "action", "reasons", "before", "after"}
    assert "hf_rotated_secret" not in text and "hf_current_value" not in text


@pytest.mark.parametrize("text, fragment", [
    ("not json", "invalid JSON"),
    ("[]", "not a gitops-runner plan file"),
    ('{"format_version": 99}', "plan format 99"),
    ('{"format_version": 1, "stack": {}}', "malformed plan file"),
])
def test_planfile_messy_inputs_are_clear_errors(text: str, fragment: str) -> None:
    with pytest.raises(PlanFileError, match=fragment):
        parse_plan_file(text)


def test_planfile_edited_actions_are_detected() -> None:
    text = render_plan_file([plan()])
    tampered = text.replace('"create"', '"delete"')
    with pytest.raises(PlanFileError, match="fingerprint does not match"):
        parse_plan_file(tampered)


def test_statefile_round_trip() -> None:
    _, state = applied()
    state = state.with_history(HistoryEntry("2026-11-27T10:00:00Z", "ci", "apply", "abc", "ok"))
    assert parse_state(render_state(state)) == state


def test_statefile_newer_format_is_refused() -> None:
    with pytest.raises(StateFormatError, match="newer gitops-runner"):
        parse_state(json.dumps({"format_version": FORMAT_VERSION + 1}))


def test_statefile_older_format_is_migrated() -> None:
    old = {"lineage": "l", "serial": 3, "stack": "demo/prod", "pods": {"api": {
        "id": "p", "spec_hash": "h", "gpu": "g", "gpu_count": 1, "cost": 0.1,
        "created_at": "t", "updated_at": "t"}}}
    doc = parse_state(json.dumps(old))
    assert doc.pods["api"].healthy and doc.history == () and doc.serial == 3


@pytest.mark.parametrize("text", ["{", "[]", '{"format_version": 1}', '{"format_version": "x"}'])
def test_statefile_corrupt_is_a_clear_error(text: str) -> None:
    with pytest.raises(StateFormatError):
        parse_state(text, "s3://b/k.json")


def test_statefile_successor_rules() -> None:
    _, state = applied()
    check_successor(None, state)
    check_successor(state, state.next_serial())
    with pytest.raises(StateConflictError, match="does not exceed"):
        check_successor(state, state)
    with pytest.raises(StateConflictError, match="lineage"):
        check_successor(state, type(state).empty("demo/prod").next_serial().next_serial())
