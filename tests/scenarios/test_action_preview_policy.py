"""Previews bound to the default branch's policy and to one commit, and never leaked
(CONTRACT §12; issue 21's reproductions), against the fake GitHub and the sandbox."""

from __future__ import annotations

import json

from tests.action_repo import ActionRepo
from tests.helpers import SANDBOX, run_cli
from tests.scenarios.test_action_preview import (
    PREVIEWED,
    event,
    plan_body,
    previewed,
    stack_pods,
    state_file,
)

# What issue 21 saw one push deploy: 8 H100s from an arbitrary image that received
# HF_TOKEN and a RunPod secret, under a cost cap and label the pull request chose itself.
GREEDY = PREVIEWED.replace('"img:IMAGE"', '"mallory/miner:latest"') \
    .replace("type: NVIDIA L4}", "type: NVIDIA H100 80GB HBM3, count: 8}\n    replicas: 4") \
    .replace("{HF_TOKEN: {secret: HF_TOKEN}}",
             "{HF_TOKEN: {secret: HF_TOKEN}, KEY: '{{ RUNPOD_SECRET_prod_key }}'}") \
    .replace("max_hourly_cost: 1.0", "max_hourly_cost: 500") \
    .replace("overrides: {gpu: {type: NVIDIA RTX A5000}, runtime: {env: {MODE: preview}}}",
             "overrides: {runtime: {env: {MODE: preview}}}") \
    .replace("allowed_secrets: [HF_TOKEN]", "allowed_secrets: [HF_TOKEN]\n"
                                            "  allow_runpod_secrets: true")
POLICY = PREVIEWED.replace("allowed_secrets: [HF_TOKEN]",
                           'allowed_gpu_types: [NVIDIA RTX A5000]\n'
                           '  allowed_images: ["img:"]\n'
                           "  allowed_secrets: [HF_TOKEN]")


def test_over_policy_preview_is_refused_and_the_comment_names_each_rule(
        action_repo: ActionRepo) -> None:
    # The pull request raises its own cap and drops the overrides: the default branch's
    # policy is what counts, so the policy's override (an A5000) is merged over its pods.
    previewed(action_repo, text=GREEDY, policy=POLICY)
    result = action_repo.run("pull_request", event("labeled"))
    assert result.code == 1
    assert action_repo.sandbox_pods() == []
    body = plan_body(action_repo.gh)
    assert "**Preview refused**, nothing deployed" in body
    assert "preview.allowed_images: pod api runs mallory/miner:latest; allowed prefixes: " \
           "img:" in body
    assert "preview.allow_runpod_secrets: pod api references a" in body
    assert "Limit $1.00/h" in body, "the cap is the default branch's, not the PR's $500"


def test_over_policy_gpu_and_secret_are_refused(action_repo: ActionRepo) -> None:
    # No GPU override (the pod's L4 stays), no allowed_secrets (the default: none).
    policy = POLICY.replace("overrides: {gpu: {type: NVIDIA RTX A5000}, ", "overrides: {") \
        .replace("\n  allowed_secrets: [HF_TOKEN]", "")
    previewed(action_repo, policy=policy)
    assert action_repo.run("pull_request", event("labeled")).code == 1
    assert action_repo.sandbox_pods() == []
    body = plan_body(action_repo.gh)
    assert "preview.allowed_gpu_types: pod api asks for NVIDIA L4; allowed: NVIDIA RTX " \
           "A5000" in body
    assert "preview.allowed_secrets: pod api env HF_TOKEN receives secret HF_TOKEN; " \
           "allowed: none" in body


def test_only_the_policys_label_counts(action_repo: ActionRepo) -> None:
    # The PR's own file names a label the PR already carries: nothing is deployed.
    previewed(action_repo, text=PREVIEWED.replace("label: preview", "label: bug"),
              policy=PREVIEWED)
    result = action_repo.run("pull_request", event("labeled", labels=("bug",)))
    assert result.code == 0, result.err
    assert action_repo.sandbox_pods() == []
    assert "Preview" not in plan_body(action_repo.gh)


def test_no_preview_block_on_the_default_branch_means_no_previews(
        action_repo: ActionRepo) -> None:
    previewed(action_repo, policy=PREVIEWED.split("preview:\n")[0])
    assert action_repo.run("pull_request", event("labeled")).code == 0
    assert action_repo.sandbox_pods() == []
    action_repo.gh.files.clear()  # a stack the default branch does not have at all
    assert action_repo.run("pull_request", event("labeled")).code == 0
    assert action_repo.sandbox_pods() == []


def test_a_push_that_renames_the_stack_destroys_the_orphaned_preview(
        action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    assert len(stack_pods(action_repo, "app/prod-pr-12")) == 1
    renamed = PREVIEWED.replace("environment: prod", "environment: stage")
    previewed(action_repo, text=renamed, policy=renamed)
    pushed = action_repo.run("pull_request", event("synchronize"))
    assert pushed.code == 0, pushed.err
    assert stack_pods(action_repo, "app/prod-pr-12") == [], "orphan destroyed"
    assert stack_pods(action_repo, "app/stage-pr-12") == [], "the new head is not approved"
    assert "Preview destroyed (no deploy file produces it any more): 1 pod(s)" in \
        plan_body(action_repo.gh)


def test_sweep_destroys_previews_whatever_the_files_say(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled", number=12)).code == 0
    assert action_repo.run("pull_request", event("labeled", number=13)).code == 0
    # Today's files have no preview block at all, and #12's close event was missed.
    (action_repo.root / "deploy" / "app.yaml").write_text(
        PREVIEWED.split("preview:\n")[0].replace("IMAGE", "1"))
    listed = run_cli(["preview", "list", "--format", "json"], SANDBOX)
    rows = {r["preview"]: r for r in json.loads(listed.out)["previews"]}
    assert rows["app/prod-pr-12"]["orphan"] is True and rows["app/prod-pr-12"]["stack"] is None
    assert "ORPHAN" in run_cli(["preview", "list"], SANDBOX).out
    drift = run_cli(["drift", "--format", "json"], SANDBOX)
    assert drift.code == 2
    orphans = json.loads(drift.out)["orphaned_previews"]
    assert [(o["preview"], o["pull_request"]) for o in orphans] == [("app/prod-pr-12", 12),
                                                                    ("app/prod-pr-13", 13)]
    assert "orphaned preview app/prod-pr-12 (pull request #12): 1 pod(s)" in \
        run_cli(["drift"], SANDBOX).out
    action_repo.gh.pulls = {12: {"number": 12, "state": "closed"},
                            13: {"number": 13, "state": "open"}}
    swept = action_repo.run("schedule", {"repository": {"full_name": "acme/models",
                                                        "default_branch": "main"}})
    assert swept.code in (0, 2), swept.err
    assert stack_pods(action_repo, "app/prod-pr-12") == []
    assert len(stack_pods(action_repo, "app/prod-pr-13")) == 1, "#13 is open, not expired"
    assert "`app/prod-pr-12`: pull request #12 is closed; 1 pod(s) terminated" in \
        action_repo.summary()
    assert state_file(action_repo, "prod-pr-13").exists()


def test_plan_job_never_previews_and_the_preview_job_has_its_own_comment(
        action_repo: ActionRepo) -> None:
    previewed(action_repo)
    planned = action_repo.run("pull_request", event("labeled"), command="plan")
    assert planned.code == 0, planned.err
    assert action_repo.sandbox_pods() == [], "the plan job (read-only key) changes nothing"
    assert "Preview" not in plan_body(action_repo.gh)
    previewing = action_repo.run("pull_request", event("labeled"), command="preview")
    assert previewing.code == 0, previewing.err
    assert len(stack_pods(action_repo, "app/prod-pr-12")) == 1
    assert stack_pods(action_repo, "app/prod") == []
    (comment,) = [c for c in action_repo.gh.comments.values() if "kind=preview" in c["body"]]
    assert ":white_check_mark: Preview ready at `abc123def456`" in comment["body"]
    assert "Preview" not in plan_body(action_repo.gh), "the plan comment stays the plan job's"


def test_the_preview_jobs_schedule_run_sweeps_with_its_own_key(action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    action_repo.gh.pulls = {12: {"number": 12, "state": "closed"}}
    swept = action_repo.run("schedule", {"repository": {"full_name": "acme/models",
                                                        "default_branch": "main"}},
                            command="preview")
    assert swept.code == 0, swept.err
    assert stack_pods(action_repo, "app/prod-pr-12") == []
    assert action_repo.gh.issues == {}, "no drift run, no drift issue: previews only"


def test_an_unreadable_policy_or_invalid_file_never_destroys_a_running_preview(
        action_repo: ActionRepo) -> None:
    previewed(action_repo)
    assert action_repo.run("pull_request", event("labeled")).code == 0
    (pod,) = stack_pods(action_repo, "app/prod-pr-12")
    action_repo.gh.broken = True  # every GitHub request answers 502
    result = action_repo.run("pull_request", event("synchronize"))
    assert "cannot read the default branch's preview policy for app/prod" in result.out
    assert stack_pods(action_repo, "app/prod-pr-12") == [pod]
    action_repo.gh.broken = False
    (action_repo.root / "deploy" / "app.yaml").write_text("version: 1\npods: [\n")
    assert action_repo.run("pull_request", event("synchronize")).code == 1
    assert stack_pods(action_repo, "app/prod-pr-12") == [pod]
