"""Every event that is not a push to, or a scheduled/dispatched run on, the default branch
makes zero RunPod writes, whatever `command` and `reconcile` say: checked on the request
log of a simulated RunPod that holds a managed pod and a pending change."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_runner.runpod.simulator.server import Simulator
from tests.action_repo import HF, KEY, ActionRepo
from tests.fakes.github import merge_group_event, merged_pull, pull_request_event, push_event
from tests.helpers import run_cli

EVENTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "pull_request": ("pull_request", pull_request_event(), "refs/pull/12/merge"),
    "fork pull_request": ("pull_request", pull_request_event(fork=True), "refs/pull/12/merge"),
    "pull_request_target": ("pull_request_target", pull_request_event(), "refs/heads/main"),
    "merge_group": ("merge_group", merge_group_event(),
                    "refs/heads/gh-readonly-queue/main/pr-12-abc123"),
    "push to a branch": ("push", push_event(), "refs/heads/feature"),
    "dispatch on a branch": ("workflow_dispatch", {}, "refs/heads/feature"),
    # GitHub runs schedules on the default branch only; a payload naming another one
    # (as workflow_dispatch payloads do) must still be refused.
    "schedule on a branch": ("schedule", {"repository": {"default_branch": "main"}},
                             "refs/heads/feature"),
    "issue_comment": ("issue_comment", {"issue": {"number": 12}}, "refs/heads/main"),
}
COMMANDS = ("auto", "plan", "apply", "drift", "destroy", "schedule")
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def cli_env(sim: Simulator) -> dict[str, str]:
    return {"RUNPOD_API_KEY": KEY, "RUNPOD_API_URL": sim.url, "HF_TOKEN": HF,
            "RUNPOD_PROXY_URL": sim.proxy_url}


@pytest.fixture
def managed(action_repo: ActionRepo, fast_sim: Simulator) -> ActionRepo:
    """A pod applied from image 1; the files now say image 2, so a reconcile, apply or
    destroy that slipped through would write."""
    applied = run_cli(["apply", "--auto-approve"], cli_env(fast_sim))
    assert applied.code == 0, applied.err
    action_repo.set_image("2")
    action_repo.runpod_url = fast_sim.url
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    fast_sim.exchanges = []
    return action_repo


@pytest.mark.parametrize("name", list(EVENTS))
def test_action_untrusted_event_never_writes_to_runpod(name: str, managed: ActionRepo,
                                                       fast_sim: Simulator) -> None:
    event, payload, ref = EVENTS[name]
    for command in COMMANDS:
        for reconcile in ("false", "true"):
            result = managed.run(event, payload, ref=ref, command=command, reconcile=reconcile)
            writes = [(x.method, x.path) for x in fast_sim.exchanges or []
                      if x.method in WRITES]
            assert writes == [], (name, command, reconcile, result.err)
            asked = command in ("apply", "destroy", "schedule") or reconcile == "true"
            if asked or event == "pull_request_target":
                assert result.code == 1, (name, command, reconcile)
                assert "refusing" in result.err or "does not run on" in result.err


def test_action_the_request_log_sees_writes(managed: ActionRepo, fast_sim: Simulator) -> None:
    # Not vacuous: the same setup, applied outside the gate, is seen writing.
    assert run_cli(["apply", "--auto-approve"], cli_env(fast_sim)).code == 0
    assert [x.method for x in fast_sim.exchanges or [] if x.method in WRITES]
