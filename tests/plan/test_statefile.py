"""The state file: render and parse, format versions, corrupt files, successor rules."""

from __future__ import annotations

import json

import pytest

from gitops_runner.plan.statefile import (
    FORMAT_VERSION,
    HistoryEntry,
    StateConflictError,
    StateFormatError,
    check_successor,
    parse_state,
    render_state,
)
from tests.plan.test_diff import applied


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
