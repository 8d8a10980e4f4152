"""The event gate, as a table: event x ref x command x reconcile x fork -> decision."""

from __future__ import annotations

import pytest

from gitops_runner.github.gate import decide, decide_preview

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


def test_gate_closed_pull_request_only_destroys_previews() -> None:
    assert decide("pull_request", BRANCH, "main", "auto", False, action="closed").command \
        == "preview"
    assert decide("pull_request", BRANCH, "main", "auto", False, True, "closed").command \
        == "nothing"
    assert decide("pull_request", BRANCH, "main", "auto", False, action="labeled").command \
        == "plan"


def test_gate_sweeps_previews_only_on_the_default_branch() -> None:
    assert decide("schedule", MAIN, "main", "auto", False).sweep_previews
    assert decide("workflow_dispatch", MAIN, "main", "auto", True).sweep_previews
    assert not decide("workflow_dispatch", BRANCH, "main", "auto", False).sweep_previews
    assert not decide("pull_request", BRANCH, "main", "auto", False).sweep_previews


LABELED = frozenset({"preview", "bug"})
UNLABELED = frozenset({"bug"})
# (event, action, command, fork, labels) -> preview action, with a notice?
PREVIEW_TABLE = [
    ("pull_request", "opened", "auto", False, LABELED, "apply", False),
    # The label approves one commit: a push (or a reopen) takes it off, applies nothing.
    ("pull_request", "synchronize", "auto", False, LABELED, "revoke", False),
    ("pull_request", "labeled", "auto", False, LABELED, "apply", False),
    ("pull_request", "reopened", "auto", False, LABELED, "revoke", False),
    ("pull_request", "synchronize", "preview", False, LABELED, "revoke", False),
    ("pull_request", "labeled", "preview", False, LABELED, "apply", False),
    # command: plan is the plan job (read-only key): it never touches previews.
    ("pull_request", "labeled", "plan", False, LABELED, "", False),
    ("pull_request", "opened", "auto", False, UNLABELED, "", False),
    ("pull_request", "labeled", "auto", False, UNLABELED, "", False),
    ("pull_request", "edited", "auto", False, LABELED, "", False),
    ("pull_request", "unlabeled", "auto", False, UNLABELED, "destroy", False),
    ("pull_request", "unlabeled", "auto", False, LABELED, "", False),  # another label went
    ("pull_request", "closed", "auto", False, LABELED, "destroy", False),
    ("pull_request", "closed", "auto", False, UNLABELED, "destroy", False),
    ("pull_request", "labeled", "auto", True, LABELED, "", True),
    ("pull_request", "synchronize", "auto", True, LABELED, "", True),
    ("pull_request", "closed", "auto", True, LABELED, "", True),
    ("pull_request", "labeled", "auto", True, UNLABELED, "", False),
    ("pull_request", "labeled", "validate", False, LABELED, "", False),
    ("pull_request", "labeled", "apply", False, LABELED, "", False),
    ("pull_request_target", "labeled", "auto", False, LABELED, "", False),
    ("pull_request_target", "closed", "auto", False, LABELED, "", False),
    ("merge_group", "checks_requested", "auto", False, LABELED, "", False),
    ("push", "", "auto", False, LABELED, "", False),
    ("issue_comment", "created", "auto", False, LABELED, "", False),
]


@pytest.mark.parametrize(("event", "action", "command", "fork", "labels", "does", "notice"),
                         PREVIEW_TABLE)
def test_gate_decides_previews(event: str, action: str, command: str, fork: bool,
                               labels: frozenset[str], does: str, notice: bool) -> None:
    d = decide_preview(event, action, command, fork, labels, "preview")
    assert (d.action, bool(d.note)) == (does, notice)


def test_gate_command_preview_runs_previews_or_the_sweep_and_nothing_else() -> None:
    assert decide("pull_request", BRANCH, "main", "preview", False).command == "preview"
    assert decide("pull_request", BRANCH, "main", "preview", False, fork=True).command == \
        "nothing"
    sweep = decide("schedule", MAIN, "main", "preview", False)
    assert (sweep.command, sweep.sweep_previews, sweep.may_change) == ("sweep", True, False)
    assert decide("schedule", BRANCH, "main", "preview", False).command == "nothing"
    assert decide("push", MAIN, "main", "preview", False).command == "nothing"
