"""The plan file: render and parse, fingerprints, and plans written by older releases."""

from __future__ import annotations

import json

import pytest

from gitops_runner.plan.planfile import PlanFileError, parse_plan_file, render_plan_file
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
    # The plan file gained the structured changes (CONTRACT §4: changes as data).
    assert set(data["actions"][0]) == {"pod", "action", "reasons", "before", "after",
                                       "changes", "notes", "destroys"}
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


def test_planfile_written_before_changes_were_data_still_loads() -> None:
    from gitops_runner.plan.model import legacy_fingerprint

    raw, state = applied()
    doc = json.loads(render_plan_file([plan(POD.replace("info", "debug"), [raw], state)]))
    data = doc["stacks"][0]
    for action in data["actions"]:
        for key in ("changes", "notes", "destroys"):
            del action[key]
    data["fingerprint"] = legacy_fingerprint(data["actions"])
    [old] = parse_plan_file(json.dumps(doc))
    assert [a.reasons for a in old.actions] == [("env.LOG_LEVEL: 'info' -> 'debug'",)]
    data["fingerprint"] = "0" * 64
    with pytest.raises(PlanFileError, match="fingerprint"):
        parse_plan_file(json.dumps(doc))


def test_planfile_keeps_destroys_and_moved_from() -> None:
    chat = POD.replace("name: api", "name: chat")
    raw, state = applied(chat)
    original = plan(POD, [raw], state, extra="guardrails: {allow_delete: true}\n")
    [parsed] = parse_plan_file(render_plan_file([original]))
    assert parsed.actions == original.actions and parsed.fingerprint == original.fingerprint
    assert any(a.destroys for a in parsed.actions)
