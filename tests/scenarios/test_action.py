"""The action on pull requests and merge queues: plan, one sticky comment, forks,
secrets and what may reach GitHub's log, against the fake GitHub API and the sandbox."""

from __future__ import annotations

from typing import Any

from gitops_runner.runpod.simulator.server import Simulator
from tests.action_repo import HF, KEY, ActionRepo
from tests.fakes.github import (
    GitHubState,
    add_comment,
    merge_group_event,
    pull_request_event,
    user,
)

PR = pull_request_event()


def plan_comments(gh: GitHubState) -> list[dict[str, Any]]:
    return [c for c in gh.comments.values() if "kind=plan" in c["body"]]


def test_action_pull_request_creates_one_comment_then_edits_it(action_repo: ActionRepo) -> None:
    first = action_repo.run("pull_request", PR)
    assert first.code == 0, first.err
    (comment,) = plan_comments(action_repo.gh)
    first_body = str(comment["body"])
    assert "### Stack `app/prod`" in comment["body"]
    assert "\n<!-- gitops-runner:stack stack=app/prod fingerprint=" in comment["body"]
    assert comment["user"]["login"] == "github-actions[bot]"
    assert "has-changes<<ghadelimiter_" in action_repo.outputs()
    assert "| 1 | 0 | 0 | 0 | 0 | 0 |" in action_repo.summary()
    action_repo.set_image("2")
    second = action_repo.run("pull_request", PR)
    assert second.code == 0
    (again,) = plan_comments(action_repo.gh)
    assert again["id"] == comment["id"] and again["body"] != first_body
    assert action_repo.sandbox_pods() == [], "a pull request never applies"


def test_action_pull_request_never_applies_even_when_asked(action_repo: ActionRepo) -> None:
    result = action_repo.run("pull_request", PR, command="apply")
    assert result.code == 1
    assert "refusing command: apply on a pull_request event" in result.err
    assert action_repo.sandbox_pods() == []
    assert not (action_repo.root / ".state").exists(), "a refusal runs nothing at all"


def test_action_plan_json_is_a_workspace_relative_file(action_repo: ActionRepo) -> None:
    assert action_repo.run("pull_request", PR).code == 0
    path = action_repo.output("plan-json")
    assert path == "gitops-runner-plan.json"
    assert '"stack"' in (action_repo.root / path).read_text()


def test_action_fork_pull_request_validates_only_and_says_so(action_repo: ActionRepo) -> None:
    action_repo.gh.read_only = True
    result = action_repo.run("pull_request", pull_request_event(fork=True))
    assert result.code == 0, result.err
    assert "Pull request from a fork" in action_repo.summary()
    assert "validated only" in action_repo.summary()
    assert action_repo.gh.requests == [], "a fork's run asks GitHub nothing"
    assert not (action_repo.root / ".state").exists()


def test_action_fork_with_invalid_files_fails(action_repo: ActionRepo) -> None:
    (action_repo.root / "deploy" / "bad.yaml").write_text("version: 1\nproject: {name: Bad}\n")
    result = action_repo.run("pull_request", pull_request_event(fork=True))
    assert result.code == 1
    assert "::error file=deploy/bad.yaml" in result.out


def test_action_read_only_token_cannot_comment_but_plan_is_reported(
        action_repo: ActionRepo) -> None:
    action_repo.gh.read_only = True
    result = action_repo.run("pull_request", PR)
    assert result.code == 0
    assert "::warning::updating the pull request comment failed" in result.out
    assert "403" in result.out and "read-only token" in result.out
    assert "### Stack `app/prod`" in action_repo.summary()
    assert "has-changes<<" in action_repo.outputs()


def test_action_merge_group_plans_without_a_comment(action_repo: ActionRepo) -> None:
    result = action_repo.run("merge_group", merge_group_event(),
                             ref="refs/heads/gh-readonly-queue/main/pr-12-abc123")
    assert result.code == 0, result.err
    assert action_repo.output("has-changes") == "true"
    assert "### Stack `app/prod`" in action_repo.summary()
    assert action_repo.gh.comments == {} and action_repo.sandbox_pods() == []


def test_action_never_edits_a_comment_someone_else_wrote(action_repo: ActionRepo) -> None:
    theirs = add_comment(action_repo.gh, 12, "<!-- gitops-runner:comment kind=plan part=1/1 "
                         "v=0.1.0 -->\nlooks like ours", user("mallory"))
    assert action_repo.run("pull_request", PR).code == 0
    assert action_repo.gh.comments[theirs]["body"].endswith("looks like ours")
    assert len(plan_comments(action_repo.gh)) == 2


def test_action_masks_secrets_and_never_sends_them_to_github(action_repo: ActionRepo) -> None:
    result = action_repo.run("pull_request", PR)
    assert result.out.startswith(f"::add-mask::{KEY}\n")
    assert f"::add-mask::{HF}" in result.out
    rest = result.out.replace(f"::add-mask::{KEY}", "").replace(f"::add-mask::{HF}", "")
    assert KEY not in rest and HF not in rest and HF not in result.err
    for _, _, body in action_repo.gh.requests:
        assert KEY not in body and HF not in body
    assert HF not in action_repo.summary() and HF not in action_repo.outputs()
    assert HF not in (action_repo.root / "gitops-runner-plan.json").read_text()


def test_action_multi_line_secret_is_masked_line_by_line(action_repo: ActionRepo) -> None:
    env_secret = "-----BEGIN KEY-----\nline2%of\r\nline3\n-----END KEY-----"
    result = action_repo.run_with_env({"HF_TOKEN": env_secret}, "pull_request", PR)
    masks = [line for line in result.out.splitlines() if line.startswith("::add-mask::")]
    assert "::add-mask::-----BEGIN KEY-----%0Aline2%25of%0D%0Aline3%0A-----END KEY-----" in masks
    assert {"::add-mask::line2%25of", "::add-mask::line3"} <= set(masks)
    lines = result.out.splitlines()
    assert lines[: len(masks)] == masks, "masks come before anything else is printed"


def test_action_secret_equal_to_a_stack_name_never_breaks_the_marker(
        action_repo: ActionRepo) -> None:
    result = action_repo.run_with_env({"HF_TOKEN": "prod"}, "pull_request", PR)
    assert result.code == 0, result.err
    (comment,) = plan_comments(action_repo.gh)
    assert "\n<!-- gitops-runner:stack stack=app/prod fingerprint=" in comment["body"]


def test_action_empty_secret_is_an_error_naming_it(action_repo: ActionRepo) -> None:
    result = action_repo.run_with_env({"HF_TOKEN": ""}, "pull_request", PR)
    assert result.code == 1
    assert "HF_TOKEN is empty (pod api, env HF_TOKEN" in result.err
    assert action_repo.sandbox_pods() == []


def test_action_invalid_config_is_annotated(action_repo: ActionRepo) -> None:
    (action_repo.root / "deploy" / "bad.yaml").write_text(
        "version: 1\nproject: {name: Bad}\npods: []\n")
    result = action_repo.run("pull_request", PR)
    assert result.code == 1
    assert "::error file=deploy/bad.yaml,line=2,col=17::project.name" in result.out
    assert "Invalid deploy files" in action_repo.summary()
    (comment,) = plan_comments(action_repo.gh)
    assert "`deploy/bad.yaml:2:17` project.name" in comment["body"]
    assert "### Stack `app/prod`" in comment["body"], "valid stacks are still planned"


def test_action_echoed_text_cannot_become_a_workflow_command(action_repo: ActionRepo) -> None:
    (action_repo.root / "deploy" / "evil.yaml").write_text(
        "version: 1\nproject: {name: evil, environment: dev}\n"
        "'::warning::pwned\\n##[error]x': 1\n")
    result = action_repo.run("pull_request", PR)
    assert result.code == 1
    for line in (result.out + result.err).splitlines():
        assert not line.lstrip().startswith(("::warning::pwned", "::error::x"))
        assert "##[" not in line


def test_action_pull_request_target_runs_nothing(action_repo: ActionRepo) -> None:
    result = action_repo.run("pull_request_target", PR)
    assert result.code == 1
    assert "does not run on pull_request_target" in result.err
    assert action_repo.gh.requests == [] and not (action_repo.root / ".state").exists()


def test_action_other_events_do_nothing(action_repo: ActionRepo) -> None:
    result = action_repo.run("issues", {})
    assert result.code == 0 and "Nothing to do for the `issues` event" in result.err


def test_action_plan_with_local_state_outside_the_sandbox_warns(action_repo: ActionRepo,
                                                                  fast_sim: Simulator) -> None:
    action_repo.runpod_url = fast_sim.url
    result = action_repo.run("pull_request", PR)
    assert result.code == 0, result.err
    assert "::warning::app/prod keep(s) state with backend: local" in result.out
    assert "> [!WARNING]" in action_repo.summary()
