"""Regressions found by an adversarial review of the Action (CONTRACT §8)."""

from __future__ import annotations

import json

import pytest

from gitops_runner.runpod import client as rc
from gitops_runner.runpod.errors import error_for
from tests.action_repo import DEPLOY, ActionRepo
from tests.fakes.github import merged_pull, pull_request_event, push_event

PR = pull_request_event()
PUSH = push_event()


def test_action_yml_stacks_are_planned_and_applied_by_default(action_repo: ActionRepo) -> None:
    other = DEPLOY.replace("app, environment: prod", "other, environment: prod")
    (action_repo.root / "deploy" / "other.yml").write_text(other.replace("IMAGE", "9"))
    assert action_repo.run("pull_request", PR).code == 0
    body = "\n".join(c["body"] for c in action_repo.gh.comments.values())
    assert "other/prod" in body
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    assert action_repo.run("push", PUSH).code == 0
    assert sorted(p["image"] for p in action_repo.sandbox_pods()) == ["img:1", "img:9"]


def test_action_config_takes_one_glob_per_line_and_files_only(action_repo: ActionRepo) -> None:
    (action_repo.root / "deploy" / "sub").mkdir()
    result = action_repo.run("pull_request", PR, config="deploy/*.yml\ndeploy/**")
    assert result.code == 0, result.err
    assert "Is a directory" not in result.out + result.err


def test_action_schedule_payload_without_repository_trusts_its_ref(
        action_repo: ActionRepo) -> None:
    # GitHub's schedule payload is {"schedule": cron}: scheduled runs are on the default
    # branch, whatever it is called.
    assert action_repo.run("push", PUSH, command="apply").code == 0
    result = action_repo.run("schedule", {"schedule": "0 * * * *"}, ref="refs/heads/master",
                             reconcile="true")
    assert result.code == 0, result.err
    assert "refusing" not in result.err


def test_action_reconcile_never_applies_an_unreviewed_file(action_repo: ActionRepo) -> None:
    refused = action_repo.run("push", PUSH)  # a direct push: no pull request, fail closed
    assert refused.code == 1 and action_repo.sandbox_pods() == []
    result = action_repo.run("schedule", {"schedule": "0 * * * *"}, reconcile="true")
    assert result.code == 2, "the pending change is reported as drift, not applied"
    assert action_repo.sandbox_pods() == []
    assert "not reconciled: app/prod" in action_repo.summary()


def test_action_secret_name_or_registry_changed_after_review_is_refused(
        action_repo: ActionRepo) -> None:
    assert action_repo.run("pull_request", PR).code == 0
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    (action_repo.root / "deploy" / "app.yaml").write_text(
        DEPLOY.replace("IMAGE", "1").replace("{secret: HF_TOKEN}", "{secret: PROD_DB_PASSWORD}")
        .replace('image: "img:1"', 'image: "img:1"\n      registry_auth_id: attacker-creds'))
    result = action_repo.run_with_env({"PROD_DB_PASSWORD": "db-pass-TOPSECRET"}, "push", PUSH)
    assert result.code == 1 and "plan changed since review" in action_repo.summary()
    assert action_repo.sandbox_pods() == []


@pytest.mark.parametrize("secret", ["postgres://app:S3cretPw@db.internal/prod",
                                    "www.S3cretPw.example/x", "me@S3cretPw"])
def test_action_secret_shaped_like_a_url_never_reaches_comments_or_summary(
        action_repo: ActionRepo, monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    def create(self, body):  # type: ignore[no-untyped-def]
        # RunPod echoing the rejected body in its error (CONTRACT §4 expects this).
        raise error_for(422, "POST", "/v2/pods",
                        {"detail": "invalid env", "errors": [f"env: {json.dumps(body['env'])}"]})

    monkeypatch.setattr(rc.RunPodClient, "create_pod", create)
    assert action_repo.run_with_env({"HF_TOKEN": secret}, "pull_request", PR).code == 0
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    result = action_repo.run_with_env({"HF_TOKEN": secret}, "push", PUSH)
    comments = "\n".join(c["body"] for c in action_repo.gh.comments.values())
    for text in (action_repo.summary(), comments, result.err):
        assert "S3cretPw" not in text
