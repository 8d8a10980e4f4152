"""Serverless endpoints end to end in the sandbox (CONTRACT §14): the plan/apply/drift/
status/destroy loop beside a pod, rescale vs release, a failed release, and adoption
after a crash between the template and the endpoint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from gitops_runner.runpod.serverless import ServerlessApi
from tests.helpers import SANDBOX, CliResult, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: demo, environment: dev}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: "nginx:1.27"}
endpoints:
  - name: chat
    type: QUEUE
    gpu: {pools: [ADA_24, AMPERE_48], exclude: [NVIDIA GeForce RTX 4090]}
    workers: {min: 2, max: 3, idle_timeout_seconds: 5}
    scaling: {type: QUEUE_DELAY, value: 4}
    flashboot: true
    runtime: {image: "acme/worker:1", env: {HF_TOKEN: {secret: HF_TOKEN}, MODE: fast}}
"""
ENV = {**SANDBOX, "HF_TOKEN": "hf-s3cr3t-value-42"}


def cli(*argv: str) -> CliResult:
    return run_cli(["-c", "deploy.yaml", *argv], env=ENV) if argv[0] != "--sandbox" else \
        run_cli(list(argv), env=ENV)


def world(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / ".gitops-runner" / "sandbox" /
                                       "runpod.json").read_text())
    return data["serverless"]


def plan_json(root: Path, code: int = 0) -> dict[str, Any]:
    result = run_cli(["plan", "--format", "json"], env=ENV)
    assert result.code == code, result.err
    data: dict[str, Any] = json.loads(result.out)["stacks"][0]
    return data


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def edit(root: Path, old: str, new: str) -> None:
    text = (root / "deploy.yaml").read_text()
    assert old in text
    (root / "deploy.yaml").write_text(text.replace(old, new))


def test_plan_apply_drift_status_destroy_with_a_pod_and_an_endpoint(repo: Path) -> None:
    plan = run_cli(["plan", "--detailed-exitcode"], env=ENV)
    assert plan.code == 2, plan.err
    assert "+ endpoint chat  create  workers 2-3  $2.44/h at min, $3.66/h at max" in plan.out
    applied = run_cli(["apply", "--auto-approve"], env=ENV)
    assert applied.code == 0, applied.out + applied.err
    (ep,) = world(repo)["endpoints"]
    assert f"endpoint chat run: https://api.runpod.ai/v2/{ep['id']}/run" in applied.out
    assert "release v1 serving on 2 worker(s)" in applied.err
    assert run_cli(["plan", "--detailed-exitcode"], env=ENV).code == 0
    drift = run_cli(["drift"], env=ENV)
    assert drift.code == 0 and "No drift" in drift.out
    status = run_cli(["status", "--format", "json"], env=ENV)
    (row,) = json.loads(status.out)["stacks"][0]["endpoints"]
    assert (row["status"], row["workers"]["idle"], row["version"]) == ("READY", 2, 1)
    state = json.loads((repo / ".gitops-runner" / "demo" / "dev.json").read_text())
    assert state["endpoints"]["chat"]["id"] == ep["id"]
    for where in (state, plan_json(repo), applied.out, applied.err, status.out):
        assert "hf-s3cr3t-value-42" not in json.dumps(where)
    # The template RunPod holds is ours: same name, our markers, the secret's value (which
    # the sandbox file keeps as its digest, runpod/simulator/store.py).
    (tpl,) = world(repo)["templates"]
    assert tpl["name"] == "demo-dev-chat" and tpl["env"]["GITOPS_RUNNER_ENDPOINT"] == "chat"
    assert tpl["env"]["HF_TOKEN"] == "sandbox-sealed:sha256:" + hashlib.sha256(
        b"hf-s3cr3t-value-42").hexdigest()
    # Before asking, destroy names every endpoint it will delete, as it does pods and volumes.
    asked = run_cli(["destroy"], env=ENV)
    endpoint_id = world(repo)["endpoints"][0]["id"]
    assert asked.code == 1 and (f"demo/dev: will delete serverless endpoint demo-dev-chat "
                                f"({endpoint_id}) and its template") in asked.out
    destroyed = run_cli(["destroy", "--auto-approve"], env=ENV)
    assert destroyed.code == 0 and "1 endpoint(s) deleted" in destroyed.out
    assert world(repo) == {"templates": [], "endpoints": []}


def test_a_workers_max_change_is_a_rescale_that_restarts_nothing(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], env=ENV).code == 0
    before = world(repo)["endpoints"][0]
    edit(repo, "max: 3", "max: 6")
    (action,) = plan_json(repo)["endpoint_actions"]
    assert (action["action"], action["change"], action["restarts_workers"]) == (
        "update", "rescale", False)
    assert action["cost"] == {"min_workers": 2.44, "max_workers": 7.32}
    text = run_cli(["plan"], env=ENV).out
    assert "update (rescale: nothing restarts)" in text
    applied = run_cli(["apply", "--auto-approve"], env=ENV)
    assert applied.code == 0 and "rescaled; no worker restarted" in applied.err
    after = world(repo)["endpoints"][0]
    assert after["config"]["workers"]["max"] == 6
    assert len(after["releases"]) == len(before["releases"]) == 1  # no new release


def test_an_image_change_is_a_release_and_apply_waits_for_its_rollout(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], env=ENV).code == 0
    edit(repo, "acme/worker:1", "acme/worker:2")
    (action,) = plan_json(repo)["endpoint_actions"]
    assert (action["change"], action["restarts_workers"]) == ("release", True)
    assert action["reasons"] == ["image: acme/worker:1 -> acme/worker:2"]
    markdown = run_cli(["plan", "--format", "markdown"], env=ENV).out
    assert "| `chat` | update (release) | **yes** | 2.44 | 3.66 |" in markdown
    applied = run_cli(["apply", "--auto-approve"], env=ENV)
    assert applied.code == 0, applied.err
    assert "release v2 serving on 2 worker(s)" in applied.err
    # Apply returned only once the rollout was done: every worker is on v2.
    status = json.loads(run_cli(["status", "--format", "json"], env=ENV).out)
    (row,) = status["stacks"][0]["endpoints"]
    assert (row["status"], row["version"], row["rollout"]["in_progress"]) == ("READY", 2, False)
    assert row["rollout"]["workers_on_latest"] == 2


def test_a_bad_image_release_fails_and_the_previous_release_keeps_serving(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], env=ENV).code == 0
    edit(repo, "acme/worker:1", "acme/bad-worker:2")
    applied = run_cli(["apply", "--auto-approve"], env=ENV)
    assert applied.code == 1
    assert ("failed: endpoint chat update (release): release v2 failed: 1 worker(s) unhealthy "
            "on acme/bad-worker:2; release v1 keeps serving") in applied.out
    status = json.loads(run_cli(["status", "--format", "json"], env=ENV).out)
    (row,) = status["stacks"][0]["endpoints"]
    assert row["status"] == "RELEASE FAILED" and row["workers"]["idle"] == 2
    drift = json.loads(run_cli(["drift", "--format", "json"], env=ENV).out)
    (finding,) = drift["stacks"][0]["findings"]
    assert (finding["endpoint"], finding["class"]) == ("chat", "drift")
    # The next plan waits for it again rather than reporting "no changes".
    (action,) = plan_json(repo)["endpoint_actions"]
    assert action["change"] == "wait"


def test_a_queue_endpoint_serving_vllm_is_warned_then_fails_like_the_real_thing(
        repo: Path) -> None:
    """A queue endpoint's workers must run a handler; vLLM's HTTP server takes no job. The
    plan warns and the sandbox, like RunPod, never gets a worker ready."""
    edit(repo, 'runtime: {image: "acme/worker:1", env: {HF_TOKEN: {secret: HF_TOKEN}, '
               'MODE: fast}}',
         'runtime: {image: "vllm/vllm-openai:v0.8.5", env: {HF_TOKEN: {secret: HF_TOKEN}}}\n'
         '    models: [{id: qwen, repo: Qwen/Qwen2.5-0.5B-Instruct, load: {engine: vllm, '
         'max_seq_len: 4096}}]')
    assert any("takes no jobs from a QUEUE endpoint" in w for w in plan_json(repo)["warnings"])
    applied = run_cli(["apply", "--auto-approve"], env=ENV)
    assert applied.code == 1
    assert ("release v1 failed: 1 worker(s) unhealthy on vllm/vllm-openai:v0.8.5; no earlier "
            "release is serving") in applied.out, applied.out


def test_adoption_after_a_crash_between_template_and_endpoint(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: ServerlessApi, body: dict[str, Any]) -> dict[str, Any]:
        raise KeyboardInterrupt  # the runner dies right after the template's POST

    with monkeypatch.context() as patched:
        patched.setattr(ServerlessApi, "create_endpoint", crash)
        assert run_cli(["apply", "--auto-approve"], env=ENV).code == 130
    state_file = repo / ".gitops-runner" / "demo" / "dev.json"
    state = json.loads(state_file.read_text())
    # As if the crash came before the template's id was journaled: only the intent is.
    state["endpoints"]["chat"]["template_id"] = ""
    state_file.write_text(json.dumps(state))
    (tpl,) = world(repo)["templates"]
    assert world(repo)["endpoints"] == []
    (action,) = plan_json(repo)["endpoint_actions"]
    assert action["action"] == "create"
    assert f"adopts template {tpl['id']} left by an interrupted apply" in action["reasons"]
    assert run_cli(["apply", "--auto-approve"], env=ENV).code == 0
    (only,) = world(repo)["templates"]
    (ep,) = world(repo)["endpoints"]
    assert only["id"] == tpl["id"] and ep["template_id"] == tpl["id"]
    assert run_cli(["plan", "--detailed-exitcode"], env=ENV).code == 0


def test_an_endpoint_named_like_ours_without_markers_is_left_alone(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], env=ENV).code == 0
    edit(repo, "  - name: chat\n", "  - name: chat2\n")
    data = plan_json(repo, code=1)  # a guardrail violation
    kinds = sorted((a["endpoint"], a["action"]) for a in data["endpoint_actions"])
    assert kinds == [("chat", "delete"), ("chat2", "create")]
    assert any("allow_delete is false" in v and "endpoints: chat" in v
               for v in data["guardrail_violations"])
