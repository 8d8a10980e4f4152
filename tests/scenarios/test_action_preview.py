"""Preview stacks in the Action (CONTRACT §12), against the fake GitHub and the sandbox:
label -> deployed with endpoints in the comment, push -> label removed and nothing
applied, relabel -> updated, unlabel/close -> destroyed with its state, forks never, the
scheduled sweep, TTL, the cost guardrail; the policy comes from the default branch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from gitops_runner.runpod.simulator.store import unseal
from tests.action_repo import DEPLOY, REPO, ActionRepo
from tests.fakes.clock import VIRTUAL
from tests.fakes.github import GitHubState, merged_pull, pull_request_event, push_event

PREVIEWED = DEPLOY + """\
preview:
  label: preview
  ttl_hours: 48
  max_hourly_cost: 1.0
  overrides: {gpu: {type: NVIDIA RTX A5000}, runtime: {env: {MODE: preview}}}
  allowed_secrets: [HF_TOKEN]
"""


def previewed(repo: ActionRepo, image: str = "1", text: str = PREVIEWED,
              policy: str | None = None) -> None:
    """The pull request's file; the default branch's (the policy) is `policy`, or the
    same text when not given."""
    (repo.root / "deploy" / "app.yaml").write_text(text.replace("IMAGE", image))
    default = text if policy is None else policy
    repo.gh.files.setdefault("main", {})["deploy/app.yaml"] = default.replace("IMAGE", "1")


def event(action: str, number: int = 12, labels: tuple[str, ...] = ("preview",),
          fork: bool = False) -> dict[str, Any]:
    return pull_request_event(number, fork=fork, action=action, labels=labels)


def plan_body(gh: GitHubState) -> str:
    (comment,) = [c for c in gh.comments.values() if "kind=plan" in c["body"]]
    return str(comment["body"])


def stack_pods(repo: ActionRepo, stack: str) -> list[dict[str, Any]]:
    return [p for p in repo.sandbox_pods() if p["env"].get("GITOPS_RUNNER_STACK") == stack]


def state_file(repo: ActionRepo, environment: str) -> Any:
    return repo.root / ".state" / "app" / f"{environment}.json"


def test_preview_label_deploys_it_with_endpoints_in_the_comment(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    result = action_repo.run("pull_request", event("labeled"))
    assert result.code == 0, result.err
    (pod,) = stack_pods(action_repo, "app/prod-pr-12")
    assert pod["name"] == "app-prod-pr-12-api"
    assert pod["env"]["GITOPS_RUNNER_TAG_PR"] == "12" and pod["env"]["MODE"] == "preview"
    expires = datetime.fromisoformat(pod["env"]["GITOPS_RUNNER_TAG_EXPIRES"])
    now = datetime.fromtimestamp(VIRTUAL.time(), UTC)
    assert timedelta(hours=47) < expires - now <= timedelta(hours=48), "stamped at create"
    assert pod["gpu_id"] == "NVIDIA RTX A5000", "overrides are merged over the pod"
    assert stack_pods(action_repo, "app/prod") == [], "a pull request never applies main"
    assert state_file(action_repo, "prod-pr-12").exists()
    assert not state_file(action_repo, "prod").exists()
    body = plan_body(action_repo.gh)
    assert "### Stack `app/prod`" in body, "the main plan stays in the same comment"
    assert "<!-- gitops-runner:stack stack=app/prod fingerprint=" in body
    assert "<!-- gitops-runner:stack stack=app/prod-pr-12 fingerprint=none -->" in body
    assert ":white_check_mark: Preview ready" in body
    assert f"/proxy/{pod['id']}/8000` | healthy |" in body, "the endpoint, usable as is"
    assert "Deploying the preview" not in body, "the progress note is replaced"


def test_preview_push_removes_the_label_and_leaves_the_pods(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    action_repo.gh.issue_labels[12] = ["preview"]
    assert action_repo.run("pull_request", event("labeled")).code == 0
    (before,) = stack_pods(action_repo, "app/prod-pr-12")
    previewed(action_repo, image="2")
    pushed = action_repo.run("pull_request", event("synchronize"))
    assert pushed.code == 0, pushed.err
    assert ("DELETE", "/repos/acme/models/issues/12/labels/preview", "") in \
        action_repo.gh.requests
    assert action_repo.gh.issue_labels[12] == []
    assert stack_pods(action_repo, "app/prod-pr-12") == [before], "unapproved: unchanged"
    body = plan_body(action_repo.gh)
    assert "the `preview` label was removed" in body and "needs it again" in body
    # A maintainer labels the new head: now it is applied, in place.
    action_repo.gh.issue_labels[12] = ["preview"]
    relabeled = action_repo.run("pull_request", event("labeled"))
    assert relabeled.code == 0, relabeled.err
    (after,) = stack_pods(action_repo, "app/prod-pr-12")
    assert after["id"] == before["id"] and after["image"] == "img:2"
    assert "1 updated" in plan_body(action_repo.gh)


def test_preview_push_when_the_label_is_already_gone_still_applies_nothing(
        action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    (before,) = stack_pods(action_repo, "app/prod-pr-12")
    previewed(action_repo, image="2")
    # The event still lists the label, GitHub no longer has it: DELETE answers 404.
    pushed = action_repo.run("pull_request", event("synchronize"))
    assert pushed.code == 0, pushed.err
    assert stack_pods(action_repo, "app/prod-pr-12") == [before]
    assert "the `preview` label approves one commit" in plan_body(action_repo.gh)


def test_preview_close_destroys_pods_and_state(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    comment_before = plan_body(action_repo.gh)
    result = action_repo.run("pull_request", event("closed"))
    assert result.code == 0, result.err
    assert stack_pods(action_repo, "app/prod-pr-12") == []
    assert not state_file(action_repo, "prod-pr-12").exists()
    assert "Preview destroyed (the pull request was closed)" in action_repo.summary()
    assert plan_body(action_repo.gh) == comment_before, \
        "closing leaves the reviewed plan comment alone (the merge's apply reads it)"


def test_preview_unlabel_destroys_it_and_says_so(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    result = action_repo.run("pull_request", event("unlabeled", labels=()))
    assert result.code == 0, result.err
    assert stack_pods(action_repo, "app/prod-pr-12") == []
    assert not state_file(action_repo, "prod-pr-12").exists()
    assert "Preview destroyed (the preview label was removed)" in plan_body(action_repo.gh)


def test_preview_without_the_label_applies_nothing(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    result = action_repo.run("pull_request", event("opened", labels=("bug",)))
    assert result.code == 0, result.err
    assert action_repo.sandbox_pods() == []
    assert "Preview" not in plan_body(action_repo.gh)


def test_preview_fork_with_the_label_applies_nothing_and_says_why(
        action_repo: ActionRepo) -> None:
    previewed(action_repo)
    action_repo.gh.read_only = True
    result = action_repo.run("pull_request", event("labeled", fork=True))
    assert result.code == 0, result.err
    assert action_repo.sandbox_pods() == []
    assert not (action_repo.root / ".state").exists()
    assert "::notice::This pull request carries the `preview` label, but it comes from a " \
           "fork" in result.out
    assert "previews are never deployed for forks" in action_repo.summary()
    assert action_repo.gh.requests == []


def test_preview_over_its_cost_limit_is_refused_with_the_reason(action_repo: ActionRepo) -> None:
    previewed(action_repo, text=PREVIEWED.replace("RTX A5000", "H100 80GB HBM3"))
    result = action_repo.run("pull_request", event("labeled"))
    assert result.code == 1
    assert action_repo.sandbox_pods() == []
    body = plan_body(action_repo.gh)
    assert "**Preview refused**, nothing deployed" in body
    assert "max_hourly_cost: the stack may cost up to $2.99/h" in body
    assert "over the limit of $1.00/h" in body


def test_preview_of_one_pull_request_never_touches_another(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled", number=13)).code == 0
    (other,) = stack_pods(action_repo, "app/prod-pr-13")
    assert action_repo.run("pull_request", event("labeled", number=12)).code == 0
    previewed(action_repo, image="2")
    assert action_repo.run("pull_request", event("synchronize", number=12)).code == 0
    assert action_repo.run("pull_request", event("closed", number=12)).code == 0
    (still,) = stack_pods(action_repo, "app/prod-pr-13")
    assert still == other


def sweep(repo: ActionRepo) -> Any:
    return repo.run("schedule", {"repository": {"full_name": "acme/models",
                                                "default_branch": "main"}})


def test_preview_missed_close_is_swept_by_the_scheduled_run(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled", number=12)).code == 0
    assert action_repo.run("pull_request", event("labeled", number=13)).code == 0
    (state_file(action_repo, "prod-pr-12")).unlink()  # lost state: found by markers
    action_repo.gh.pulls = {12: {"number": 12, "state": "closed"},
                            13: {"number": 13, "state": "open"}}
    result = sweep(action_repo)
    assert stack_pods(action_repo, "app/prod-pr-12") == []
    assert len(stack_pods(action_repo, "app/prod-pr-13")) == 1
    assert "`app/prod-pr-12`: pull request #12 is closed; 1 pod(s) terminated" \
        in action_repo.summary()
    assert result.code in (0, 2), result.err  # drift of the (never applied) main stack


def test_a_same_named_projects_preview_from_another_repository_survives_our_sweep(
        action_repo: ActionRepo) -> None:
    """Another repository on the same RunPod account also names its project `app`, and its
    pull request #12 is open while ours is closed: our sweep takes only our #12, even with
    our preview's state lost."""
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled", number=12)).code == 0
    (ours,) = stack_pods(action_repo, "app/prod-pr-12")
    assert ours["env"]["GITOPS_RUNNER_TAG_REPO"] == REPO
    world = action_repo.root / ".state" / "sandbox" / "runpod.json"
    data = json.loads(world.read_text())
    (pod,) = [p for p in data["pods"] if p["id"] == ours["id"]]
    data["pods"].append({**pod, "id": "theirs", "env": {**pod["env"],
                                                        "GITOPS_RUNNER_TAG_REPO": "acme/other",
                                                        "GITOPS_RUNNER_LINEAGE": "their-state"}})
    world.write_text(json.dumps(data))
    state_file(action_repo, "prod-pr-12").unlink()  # lost: no lineage tells the two apart
    action_repo.gh.pulls = {12: {"number": 12, "state": "closed"}}
    sweep(action_repo)
    assert [p["id"] for p in stack_pods(action_repo, "app/prod-pr-12")] == ["theirs"]


def test_preview_past_its_ttl_is_swept(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    action_repo.gh.pulls = {12: {"number": 12, "state": "open"}}
    world = action_repo.root / ".state" / "sandbox" / "runpod.json"
    data = json.loads(world.read_text())
    for pod in data["pods"]:  # 49 hours on: created then, its 48 h expiry an hour ago
        pod["created_at"] -= 49 * 3600
        expires = datetime.fromisoformat(pod["env"]["GITOPS_RUNNER_TAG_EXPIRES"])
        pod["env"]["GITOPS_RUNNER_TAG_EXPIRES"] = (expires - timedelta(hours=49)).isoformat()
    world.write_text(json.dumps(data))
    sweep(action_repo)
    assert stack_pods(action_repo, "app/prod-pr-12") == []
    assert not state_file(action_repo, "prod-pr-12").exists()
    assert "its expiry passed (ttl_hours 48 h)" in action_repo.summary()


def test_preview_merge_applies_the_reviewed_main_plan_and_close_destroys_the_preview(
        action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    action_repo.gh.commit_pulls["abc123def456"] = [merged_pull(12)]
    pushed = action_repo.run("push", push_event())
    assert pushed.code == 0, pushed.err
    assert len(stack_pods(action_repo, "app/prod")) == 1, "the preview section is no review"
    closed = action_repo.run("pull_request", event("closed"))
    assert closed.code == 0, closed.err
    assert stack_pods(action_repo, "app/prod-pr-12") == []
    assert len(stack_pods(action_repo, "app/prod")) == 1, "closing never touches main"


def test_preview_masks_secrets_only_its_overrides_name(action_repo: ActionRepo) -> None:
    previewed(action_repo, text=PREVIEWED.replace("{MODE: preview}",
                                                  "{MODE: preview, PREVIEW_KEY: {secret: PK}}")
              .replace("[HF_TOKEN]", "[HF_TOKEN, PK]"))
    result = action_repo.run_with_env({"PK": "pk-SECRET-4242"}, "pull_request",
                                      event("labeled"))
    assert result.code == 0, result.err
    assert "::add-mask::pk-SECRET-4242" in result.out
    (pod,) = stack_pods(action_repo, "app/prod-pr-12")
    # The pod got the value; the sandbox's file keeps only its digest (store.seal).
    assert unseal({"pods": [pod]}, ["pk-SECRET-4242"])["pods"][0]["env"]["PREVIEW_KEY"] == \
        "pk-SECRET-4242"
