"""The action entrypoint for each event, against the fake GitHub API and the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github import GitHubState, fake_github
from tests.helpers import CliResult, run_cli

HF = "hf_ACTIONSECRET123456"
KEY = "rpa_ACTIONAPIKEY987654"
DEPLOY = """\
version: 1
project: {name: app, environment: prod}
state: {path: ../.state}
guardrails: {allow_delete: true}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    runtime:
      image: "img:IMAGE"
      env: {HF_TOKEN: {secret: HF_TOKEN}}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


class ActionRepo:
    def __init__(self, root: Path, api: str, gh: GitHubState) -> None:
        self.root, self.api, self.gh = root, api, gh
        (root / "deploy").mkdir()
        self.set_image("1")

    def set_image(self, tag: str) -> None:
        (self.root / "deploy" / "app.yaml").write_text(DEPLOY.replace("IMAGE", tag))

    def run(self, event: str, payload: dict[str, Any], ref: str = "refs/heads/main",
            **inputs: str) -> CliResult:
        (self.root / "event.json").write_text(json.dumps(payload))
        for name in ("out.txt", "summary.md"):
            (self.root / name).write_text("")
        env = {
            "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(self.root / "event.json"), "GITHUB_REF": ref,
            "GITHUB_SHA": "abc123def456", "GITHUB_REPOSITORY": "acme/models",
            "GITHUB_API_URL": self.api, "GITHUB_SERVER_URL": "https://github.test",
            "GITHUB_RUN_ID": "77", "GITHUB_OUTPUT": str(self.root / "out.txt"),
            "GITHUB_STEP_SUMMARY": str(self.root / "summary.md"),
            "RUNNER_TEMP": str(self.root), "INPUT_GITHUB-TOKEN": "ghs_faketoken",
            "INPUT_RUNPOD-API-KEY": KEY, "HF_TOKEN": HF,
            "GITOPS_RUNNER_SANDBOX": "1", "GITOPS_RUNNER_SANDBOX_BOOT_SECONDS": "0.3",
        }
        env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
        return run_cli(["action"], env)

    def outputs(self) -> str:
        return (self.root / "out.txt").read_text()

    def summary(self) -> str:
        return (self.root / "summary.md").read_text()

    def pods(self) -> list[dict[str, Any]]:
        world = json.loads((self.root / ".state" / "sandbox" / "runpod.json").read_text())
        return [p for p in world["pods"] if not p["terminated"]]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ActionRepo]:
    monkeypatch.chdir(tmp_path)
    with fake_github() as (api, gh):
        yield ActionRepo(tmp_path, api, gh)


PR = {"number": 12, "pull_request": {"number": 12}, "repository": {"default_branch": "main"}}
PUSH = {"repository": {"default_branch": "main"}}


def plan_comments(gh: GitHubState) -> list[dict[str, Any]]:
    return [c for c in gh.comments.values() if "kind=plan" in c["body"]]


def test_action_pull_request_creates_one_comment_then_edits_it(repo: ActionRepo) -> None:
    first = repo.run("pull_request", PR)
    assert first.code == 0, first.err
    (comment,) = plan_comments(repo.gh)
    first_body = str(comment["body"])
    assert "### Stack `app/prod`" in comment["body"]
    assert "<!-- gitops-runner:stack stack=app/prod fingerprint=" in comment["body"]
    assert "has-changes<<ghadelimiter_" in repo.outputs()
    assert "| 1 | 0 | 0 | 0 | 0 | 0 |" in repo.summary()
    repo.set_image("2")
    second = repo.run("pull_request", PR)
    assert second.code == 0
    (again,) = plan_comments(repo.gh)
    assert again["id"] == comment["id"] and again["body"] != first_body
    assert repo.pods() == [], "a pull request never applies"


def test_action_pull_request_never_applies_even_when_asked(repo: ActionRepo) -> None:
    result = repo.run("pull_request", PR, command="apply")
    assert result.code == 1
    assert "refusing to apply on a pull_request event" in result.err
    assert repo.pods() == [] if (repo.root / ".state" / "sandbox").exists() else True


def test_action_push_applies_the_reviewed_plan(repo: ActionRepo) -> None:
    assert repo.run("pull_request", PR).code == 0
    repo.gh.commit_pulls["abc123def456"] = [{"number": 12, "merged_at": "2026-11-27T10:00:00Z"}]
    result = repo.run("push", PUSH)
    assert result.code == 0, result.err
    assert [p["image"] for p in repo.pods()] == ["img:1"]
    assert "app/prod: 1 created" in repo.summary()
    applied = [c for c in repo.gh.comments.values() if "kind=apply" in c["body"]]
    assert len(applied) == 1 and ":white_check_mark:" in applied[0]["body"]


def test_action_push_refuses_a_plan_changed_since_review(repo: ActionRepo) -> None:
    assert repo.run("pull_request", PR).code == 0
    repo.gh.commit_pulls["abc123def456"] = [{"number": 12, "merged_at": "2026-11-27T10:00:00Z"}]
    repo.set_image("3")  # main moved on after the review
    result = repo.run("push", PUSH)
    assert result.code == 1
    assert "plan changed since review" in repo.summary()
    assert "reviewed `" in repo.summary() and "now `" in repo.summary()
    assert not (repo.root / ".state" / "sandbox").exists() or repo.pods() == []


def test_action_push_to_other_branch_does_nothing(repo: ActionRepo) -> None:
    result = repo.run("push", PUSH, ref="refs/heads/feature")
    assert result.code == 0 and "not the default branch" in result.err
    assert not (repo.root / ".state").exists()


def test_action_schedule_opens_updates_and_closes_drift_issue(repo: ActionRepo) -> None:
    assert repo.run("push", PUSH).code == 0
    world_path = repo.root / ".state" / "sandbox" / "runpod.json"
    world = json.loads(world_path.read_text())
    world["pods"][0]["stopped"] = True
    world_path.write_text(json.dumps(world))
    first = repo.run("schedule", {})
    assert first.code == 2
    (issue,) = repo.gh.issues.values()
    assert issue["state"] == "open" and issue["labels"] == ["drift"]
    assert "<!-- gitops-runner:drift stack=app/prod -->" in issue["body"]
    assert "status: EXITED" in issue["body"]
    assert "has-drift<<" in repo.outputs() and "\ntrue\n" in repo.outputs()
    second = repo.run("schedule", {})
    assert second.code == 2 and len(repo.gh.issues) == 1
    healed = repo.run("workflow_dispatch", {}, reconcile="true")
    assert healed.code == 0, healed.err
    assert issue["state"] == "closed"
    closing = [c for c in repo.gh.comments.values() if c["issue"] == issue["number"]]
    assert "has converged" in closing[0]["body"]


def test_action_fork_token_cannot_comment_but_plan_is_reported(repo: ActionRepo) -> None:
    repo.gh.read_only = True
    result = repo.run("pull_request", PR)
    assert result.code == 0
    assert "::warning::updating the pull request comment failed" in result.out
    assert "403" in result.out and "read-only token" in result.out
    assert "### Stack `app/prod`" in repo.summary()
    assert "has-changes<<" in repo.outputs()


def test_action_masks_secrets_and_never_sends_them_to_github(repo: ActionRepo) -> None:
    result = repo.run("pull_request", PR)
    assert f"::add-mask::{KEY}" in result.out and f"::add-mask::{HF}" in result.out
    rest = result.out.replace(f"::add-mask::{KEY}", "").replace(f"::add-mask::{HF}", "")
    assert KEY not in rest and HF not in rest and HF not in result.err
    for _, _, body in repo.gh.requests:
        assert KEY not in body and HF not in body
    assert HF not in repo.summary() and HF not in repo.outputs()
    assert HF not in (repo.root / "gitops-runner-plan.json").read_text()


def test_action_invalid_config_is_annotated(repo: ActionRepo) -> None:
    (repo.root / "deploy" / "bad.yaml").write_text("version: 1\nproject: {name: Bad}\npods: []\n")
    result = repo.run("pull_request", PR)
    assert result.code == 1
    assert "::error file=deploy/bad.yaml,line=2,col=17::project.name" in result.out
    assert "Invalid deploy files" in repo.summary()
    (comment,) = plan_comments(repo.gh)
    assert "`deploy/bad.yaml:2:17` project.name" in comment["body"]
    assert "### Stack `app/prod`" in comment["body"], "valid stacks are still planned"


def test_action_other_events_do_nothing(repo: ActionRepo) -> None:
    result = repo.run("issues", {})
    assert result.code == 0 and "nothing to do" in result.err


def test_action_push_fails_closed_when_github_cannot_be_read(repo: ActionRepo) -> None:
    repo.gh.broken = True
    result = repo.run("push", PUSH)
    assert result.code == 1
    assert "cannot read the reviewed plan, so nothing is applied" in result.err
    assert not (repo.root / ".state" / "sandbox").exists() or repo.pods() == []


def test_action_push_refuses_a_stack_without_a_valid_reviewed_plan(repo: ActionRepo) -> None:
    repo.gh.comments[1] = {"id": 1, "issue": 12, "html_url": "u", "body": (
        "<!-- gitops-runner:comment kind=plan part=1/1 v=0.1.0 -->\n"
        "<!-- gitops-runner:stack stack=app/prod fingerprint=none -->\n")}
    repo.gh.commit_pulls["abc123def456"] = [{"number": 12, "merged_at": "2026-11-27T10:00:00Z"}]
    result = repo.run("push", PUSH)
    assert result.code == 1
    assert "had no valid plan for it" in repo.summary()


def test_action_explicit_apply_skips_the_review_check(repo: ActionRepo) -> None:
    repo.gh.broken = True
    result = repo.run("push", PUSH, command="apply")
    assert result.code == 0, result.err
    assert [p["image"] for p in repo.pods()] == ["img:1"]
