"""The event gate, as a table: event x ref x command x reconcile x fork -> decision."""

from __future__ import annotations

import pytest

from gitops_runner.github.gate import decide

MAIN = "refs/heads/main"
BRANCH = "refs/heads/feature"
QUEUE = "refs/heads/gh-readonly-queue/main/pr-1-abc"

# (event, ref, command, reconcile, fork) -> (command run, review, reconcile, refused)
TABLE = [
    ("pull_request", BRANCH, "auto", False, False, "plan", False, False, False),
    ("pull_request", BRANCH, "auto", False, True, "validate", False, False, False),
    ("pull_request", BRANCH, "plan", False, True, "validate", False, False, False),
    ("pull_request", BRANCH, "validate", False, False, "validate", False, False, False),
    ("pull_request", BRANCH, "drift", False, False, "drift", False, False, False),
    ("pull_request", BRANCH, "apply", False, False, "nothing", False, False, True),
    ("pull_request", BRANCH, "destroy", False, False, "nothing", False, False, True),
    ("pull_request", BRANCH, "schedule", False, False, "nothing", False, False, True),
    ("pull_request", BRANCH, "drift", True, False, "nothing", False, False, True),
    ("pull_request", BRANCH, "auto", True, False, "nothing", False, False, True),
    ("pull_request", MAIN, "apply", False, False, "nothing", False, False, True),
    ("pull_request_target", MAIN, "auto", False, False, "nothing", False, False, True),
    ("pull_request_target", MAIN, "plan", False, False, "nothing", False, False, True),
    ("merge_group", QUEUE, "auto", False, False, "plan", False, False, False),
    ("merge_group", QUEUE, "apply", False, False, "nothing", False, False, True),
    ("push", MAIN, "auto", False, False, "apply", True, False, False),
    ("push", MAIN, "apply", False, False, "apply", False, False, False),
    ("push", MAIN, "destroy", False, False, "destroy", False, False, False),
    ("push", MAIN, "plan", False, False, "plan", False, False, False),
    ("push", BRANCH, "auto", False, False, "nothing", False, False, False),
    ("push", BRANCH, "apply", False, False, "nothing", False, False, True),
    ("push", BRANCH, "auto", True, False, "nothing", False, False, True),
    ("schedule", MAIN, "auto", False, False, "drift", False, False, False),
    ("schedule", MAIN, "auto", True, False, "drift", False, True, False),
    ("workflow_dispatch", MAIN, "auto", True, False, "drift", False, True, False),
    ("workflow_dispatch", MAIN, "schedule", False, False, "schedule", False, False, False),
    ("workflow_dispatch", BRANCH, "auto", False, False, "drift", False, False, False),
    ("workflow_dispatch", BRANCH, "auto", True, False, "nothing", False, False, True),
    ("workflow_dispatch", BRANCH, "apply", False, False, "nothing", False, False, True),
    ("schedule", BRANCH, "destroy", False, False, "nothing", False, False, True),
    ("issue_comment", MAIN, "auto", False, False, "nothing", False, False, False),
    ("issue_comment", MAIN, "apply", False, False, "nothing", False, False, True),
    ("push", MAIN, "bogus", False, False, "nothing", False, False, True),
]


@pytest.mark.parametrize(("event", "ref", "command", "reconcile", "fork", "runs", "review",
                          "heals", "refused"), TABLE)
def test_gate_decides(event: str, ref: str, command: str, reconcile: bool, fork: bool,
                      runs: str, review: bool, heals: bool, refused: bool) -> None:
    d = decide(event, ref, "main", command, reconcile, fork)
    assert (d.command, d.review, d.reconcile, bool(d.refusal)) == (runs, review, heals, refused)


def test_gate_refusal_names_the_event_and_what_was_asked() -> None:
    d = decide("pull_request", BRANCH, "main", "drift", True)
    assert d.refusal.startswith("refusing reconcile: true on a pull_request event for "
                                "refs/heads/feature")
    assert "pull requests are applied when they are merged" in d.refusal


def test_gate_drift_issues_only_on_the_default_branch() -> None:
    assert decide("schedule", MAIN, "main", "auto", False).drift_issues
    assert not decide("workflow_dispatch", BRANCH, "main", "auto", False).drift_issues


def test_gate_other_default_branch_names() -> None:
    assert decide("push", "refs/heads/trunk", "trunk", "auto", False).command == "apply"
    assert decide("push", MAIN, "trunk", "auto", False).command == "nothing"
