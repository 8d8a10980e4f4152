"""The action on a push to the default branch: only the reviewed plan is applied, and
anything short of a trusted review refuses (fail closed)."""

from __future__ import annotations

import hashlib
import json

from tests.action_repo import ActionRepo
from tests.fakes.github import (
    Failure,
    add_comment,
    merged_pull,
    pull_request_event,
    push_event,
    user,
)
from tests.helpers import run_cli

PR = pull_request_event()
PUSH = push_event()


def reviewed(action_repo: ActionRepo) -> None:
    assert action_repo.run("pull_request", PR).code == 0
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]


def fingerprint_of_image(action_repo: ActionRepo, tag: str) -> str:
    """The fingerprint a plan of image `tag` would carry, from a throwaway PR's comment."""
    action_repo.set_image(tag)
    assert action_repo.run("pull_request", pull_request_event(99)).code == 0
    (body,) = [c["body"] for c in action_repo.gh.comments.values() if c["issue"] == 99]
    return body.split("fingerprint=", 1)[1].split(" ", 1)[0]


def test_action_push_applies_the_reviewed_plan(action_repo: ActionRepo) -> None:
    reviewed(action_repo)
    result = action_repo.run("push", PUSH)
    assert result.code == 0, result.err
    assert [p["image"] for p in action_repo.sandbox_pods()] == ["img:1"]
    assert "app/prod: 1 created" in action_repo.summary()
    applied = [c for c in action_repo.gh.comments.values() if "kind=apply" in c["body"]]
    assert len(applied) == 1 and ":white_check_mark:" in applied[0]["body"]


def test_action_push_waits_for_the_commit_pull_link(action_repo: ActionRepo) -> None:
    reviewed(action_repo)
    action_repo.gh.pulls_lag = 2  # GitHub answers [] twice, then links the merged PR
    result = action_repo.run("push", PUSH)
    assert result.code == 0, result.err
    assert result.err.count("no merged pull request linked to abc123def456 yet") == 2
    assert [p["image"] for p in action_repo.sandbox_pods()] == ["img:1"]


def test_action_push_with_no_pull_request_applies_nothing(action_repo: ActionRepo) -> None:
    result = action_repo.run("push", PUSH)
    assert result.code == 1
    assert "no merged pull request found for abc123def456 (asked 4 times)" in result.err
    assert "command: apply" in action_repo.summary()
    assert action_repo.sandbox_pods() == []
    pulls = [r for r in action_repo.gh.requests if r[1].endswith("/pulls")]
    assert len(pulls) == 4


def test_action_push_ignores_open_pull_requests(action_repo: ActionRepo) -> None:
    assert action_repo.run("pull_request", PR).code == 0
    action_repo.gh.commit_pulls["abc123def456"] = [{"number": 12, "merged_at": None}]
    assert action_repo.run("push", PUSH).code == 1
    assert action_repo.sandbox_pods() == []


def test_action_push_refuses_a_plan_changed_since_review(action_repo: ActionRepo) -> None:
    reviewed(action_repo)
    action_repo.set_image("3")  # main moved on after the review
    result = action_repo.run("push", PUSH)
    assert result.code == 1
    assert "plan changed since review" in action_repo.summary()
    assert "reviewed `" in action_repo.summary() and "now `" in action_repo.summary()
    assert action_repo.sandbox_pods() == []


def test_action_spoofed_fingerprint_by_a_user_never_approves(action_repo: ActionRepo) -> None:
    reviewed(action_repo)
    changed = fingerprint_of_image(action_repo, "3")  # what main now plans
    add_comment(action_repo.gh, 12, "<!-- gitops-runner:comment kind=plan part=1/1 v=0.1.0 "
                f"-->\n<!-- gitops-runner:stack stack=app/prod fingerprint={changed} -->\n",
                user("mallory"))
    add_comment(action_repo.gh, 12, "<!-- gitops-runner:comment kind=plan part=1/1 v=0.1.0 "
                f"-->\n<!-- gitops-runner:stack stack=app/prod fingerprint={changed} -->\n",
                user("github-actions[bot]", "User"))
    result = action_repo.run("push", PUSH)
    assert result.code == 1
    assert "plan changed since review" in action_repo.summary()
    assert action_repo.sandbox_pods() == []


def test_action_push_refuses_a_stack_without_a_valid_reviewed_plan(
        action_repo: ActionRepo) -> None:
    add_comment(action_repo.gh, 12, "<!-- gitops-runner:comment kind=plan part=1/1 v=0.1.0 -->\n"
                "<!-- gitops-runner:stack stack=app/prod fingerprint=none -->\n")
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    result = action_repo.run("push", PUSH)
    assert result.code == 1
    assert "#12 had no valid plan for it" in action_repo.summary()


def test_action_push_refuses_a_stack_the_review_never_showed(action_repo: ActionRepo) -> None:
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    result = action_repo.run("push", PUSH)
    assert result.code == 1
    assert "no plan for it in #12's plan comment by github-actions[bot]" in action_repo.summary()
    assert action_repo.sandbox_pods() == []


def test_action_push_fails_closed_when_github_cannot_be_read(action_repo: ActionRepo) -> None:
    action_repo.gh.broken = True
    result = action_repo.run("push", PUSH)
    assert result.code == 1
    assert "cannot read the reviewed plan, so nothing is applied" in result.err
    assert action_repo.sandbox_pods() == []


def test_action_push_rides_out_5xx_and_secondary_rate_limits(action_repo: ActionRepo) -> None:
    reviewed(action_repo)
    action_repo.gh.failures = [
        Failure(502, "Bad Gateway"),
        Failure(403, "You have exceeded a secondary rate limit", {"retry-after": "1"}),
        Failure(429, "Too Many Requests", {"retry-after": "1"})]
    result = action_repo.run("push", PUSH)
    assert result.code == 0, result.err
    assert action_repo.gh.failures == [], "every scripted failure was met and retried"
    assert [p["image"] for p in action_repo.sandbox_pods()] == ["img:1"]


def test_action_explicit_apply_skips_the_review_check(action_repo: ActionRepo) -> None:
    action_repo.gh.broken = True
    result = action_repo.run("push", PUSH, command="apply")
    assert result.code == 0, result.err
    assert [p["image"] for p in action_repo.sandbox_pods()] == ["img:1"]


def test_action_outputs_that_cannot_be_written_after_apply_are_a_named_error(
        action_repo: ActionRepo) -> None:
    missing = str(action_repo.root / "gone" / "out")  # removed mid-run, as a cleanup might
    result = action_repo.run_with_env({"GITHUB_OUTPUT": missing}, "push", PUSH, command="apply")
    assert result.code == 1
    assert f"cannot write the step outputs ($GITHUB_OUTPUT) to {missing}" in result.err
    assert "unexpected error" not in result.err
    assert [p["image"] for p in action_repo.sandbox_pods()] == ["img:1"], "the apply was done"


def test_action_local_backend_refuses_to_apply_outside_the_sandbox(
        action_repo: ActionRepo) -> None:
    action_repo.runpod_url = "http://127.0.0.1:9"  # never reached
    result = action_repo.run("push", PUSH, command="apply")
    assert result.code == 1
    assert "backend: local, which vanishes with the runner" in result.err
    assert "init --backend s3 --bucket B --table T" in result.err


def test_action_push_to_other_branch_does_nothing(action_repo: ActionRepo) -> None:
    result = action_repo.run("push", PUSH, ref="refs/heads/feature")
    assert result.code == 0 and "is not to `refs/heads/main`" in result.err
    assert not (action_repo.root / ".state").exists()


def test_action_plan_without_secret_values_matches_the_apply_and_shows_no_change(
        action_repo: ActionRepo) -> None:
    """The plan job holds no deploy secret (CONTRACT §8): its fingerprint is the one the
    apply (which has them) sees, and once applied, a plan without the value shows no
    change for the secret-backed env (it is (sensitive), never compared)."""
    def plan_without_secrets(number: int) -> str:
        env = action_repo.env("pull_request", "refs/heads/main", {})
        env.pop("HF_TOKEN")
        (action_repo.root / "event.json").write_text(json.dumps(pull_request_event(number)))
        planned = run_cli(["action"], env)
        assert planned.code == 0, planned.err
        assert "hf_ACTIONSECRET" not in planned.out + planned.err
        (body,) = [c["body"] for c in action_repo.gh.comments.values()
                   if c["issue"] == number and "kind=plan" in c["body"]]
        return str(body)

    plan_without_secrets(12)
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    pushed = action_repo.run("push", PUSH)
    assert pushed.code == 0, pushed.err
    # The sandbox keeps a secret on disk as its digest (runpod/simulator/store.py).
    digest = "sandbox-sealed:sha256:" + hashlib.sha256(b"hf_ACTIONSECRET123456").hexdigest()
    assert [p["env"]["HF_TOKEN"] for p in action_repo.sandbox_pods()] == [digest]
    body = plan_without_secrets(13)
    assert "No changes" in body, body
