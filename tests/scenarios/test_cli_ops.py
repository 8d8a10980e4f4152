"""CLI: plan/apply/drift/destroy/status/logs/state/lock in the sandbox and on S3."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli
from tests.state.servers import unique

DEPLOY = """\
version: 1
project: {name: ops, environment: dev}
state: {path: .state}
guardrails: {allow_delete: true}
pods:
  - name: web
    replicas: 2
    gpu: {type: NVIDIA L4}
    ports: ["8000/http", "22/tcp"]
    runtime: {image: "img:1"}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def test_cli_sandbox_loop_plan_apply_drift_destroy(repo: Path) -> None:
    plan = run_cli(["plan", "--detailed-exitcode", "--out", "plan.json"], SANDBOX)
    assert plan.code == 2
    assert "SANDBOX: talking to the built-in RunPod simulator" in plan.err
    assert "+ web  create  NVIDIA L4 x1  $0.49/h" in plan.out
    # CONTRACT §4: the stack's guardrails are reviewed too (state only) until applied.
    assert ("Plan: 2 to create, 0 to update, 0 to replace, 0 to delete, 1 stack setting(s) to "
            "record (state only), 0 unchanged.") in plan.out
    assert "      guardrails.allow_delete: False -> True" in plan.out
    applied = run_cli(["apply", "plan.json"], SANDBOX)
    assert applied.code == 0, applied.err
    assert "ops/dev: 2 created" in applied.out
    assert run_cli(["plan", "--detailed-exitcode"], SANDBOX).code == 0
    drift = run_cli(["drift", "--format", "json"], SANDBOX)
    assert (drift.code, json.loads(drift.out)["has_drift"]) == (0, False)
    stale = run_cli(["apply", "plan.json"], SANDBOX)
    assert stale.code == 1 and "stale plan for ops/dev" in stale.err
    gone = run_cli(["destroy", "--auto-approve"], SANDBOX)
    assert gone.code == 0 and "ops/dev: 2 pod(s) terminated, state emptied" in gone.out
    assert "create" in run_cli(["plan"], SANDBOX).out


def test_cli_apply_without_auto_approve_refuses_off_terminal(repo: Path) -> None:
    result = run_cli(["apply"], SANDBOX)
    assert result.code == 1
    assert "refusing to continue without --auto-approve: stdin is not a terminal" in result.err


def test_cli_drift_finds_stopped_pod(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    world = json.loads((repo / ".state" / "sandbox" / "runpod.json").read_text())
    world["pods"][0]["stopped"] = True
    (repo / ".state" / "sandbox" / "runpod.json").write_text(json.dumps(world))
    drift = run_cli(["drift", "--format", "json"], SANDBOX)
    assert drift.code == 2
    findings = json.loads(drift.out)["stacks"][0]["findings"]
    assert findings == [{"pod": world["pods"][0]["env"]["GITOPS_RUNNER_POD"], "class": "drift",
                         "reasons": ["status: EXITED"], "changes": []}]


def test_cli_status_logs_state_and_lock(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    status = run_cli(["status", "--format", "json"], SANDBOX)
    pods = json.loads(status.out)["stacks"][0]["pods"]
    assert [(p["pod"], p["status"], p["health"]) for p in pods] == [
        ("web", "RUNNING", "healthy"), ("web-1", "RUNNING", "healthy")]
    assert any("/proxy/" in e for e in pods[0]["endpoints"])
    assert any("(tcp 22)" in e for e in pods[0]["endpoints"])
    logs = run_cli(["logs", "web", "--tail", "1"], SANDBOX)
    assert logs.code == 0 and logs.out.rstrip().endswith("Serving on ports 8000/http, 22/tcp")
    listed = run_cli(["state", "list"], SANDBOX)
    assert [line.split("\t")[0] for line in listed.out.splitlines()] == ["web", "web-1"]
    pulled = run_cli(["state", "pull"], SANDBOX)
    doc = json.loads(pulled.out)
    assert doc["serial"] >= 2 and doc["stack"] == "ops/dev"
    assert "apply\tconverged" in run_cli(["state", "history"], SANDBOX).out
    assert run_cli(["lock", "list"], SANDBOX).out == "ops/dev: not locked\n"
    removed = run_cli(["state", "rm", "web-1"], SANDBOX)
    assert removed.code == 0
    plan = run_cli(["plan"], SANDBOX)
    # Forgotten, not re-adopted: the pod is left alone with a note until state import.
    assert "adopt" not in plan.out and "+ web-1  create" in plan.out
    assert "is unmanaged since 'state rm'" in plan.out
    (repo / "old.json").write_text(pulled.out)
    refused = run_cli(["state", "push", "old.json"], SANDBOX)
    assert refused.code == 1 and "does not exceed the stored serial" in refused.err
    doc["serial"] += 10
    (repo / "new.json").write_text(json.dumps(doc))
    assert run_cli(["state", "push", "new.json"], SANDBOX).code == 0
    assert run_cli(["plan", "--detailed-exitcode"], SANDBOX).code == 0


def test_cli_state_import_records_an_unmarked_pod(repo: Path) -> None:
    from gitops_runner.runpod.client import RunPodClient
    from gitops_runner.runpod.simulator.server import FileStore, Simulator

    with Simulator(store=FileStore(str(repo / ".state" / "sandbox" / "runpod.json"))) as sim:
        made = RunPodClient(sim.url, "k").create_pod(
            {"name": "hand-made", "image": "img:1", "gpu": {"id": "NVIDIA L4", "count": 1},
             "ports": ["8000/http", "22/tcp"]})
    imported = run_cli(["state", "import", "web", made["id"]], SANDBOX)
    assert imported.code == 0, imported.err
    plan = run_cli(["plan"], SANDBOX)
    assert "~ web  update" in plan.out
    assert "env.GITOPS_RUNNER_STACK: added 'ops/dev'" in plan.out
    assert "name: 'hand-made' -> 'ops-dev-web'" in plan.out
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    assert run_cli(["plan", "--detailed-exitcode"], SANDBOX).code == 0


def test_cli_force_unlock_unknown_id(repo: Path) -> None:
    result = run_cli(["force-unlock", "nope"], SANDBOX)
    assert result.code == 1 and "no stack is locked with id nope" in result.err


S3_DEPLOY = DEPLOY.replace("state: {path: .state}", """state:
  backend: s3
  bucket: ops-state
  prefix: runpod
  lock: {backend: dynamodb, table: gitops-locks, wait_seconds: 0}""")


def test_cli_apply_with_s3_state_and_dynamodb_lock(repo: Path, moto_endpoint: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    bucket, table = unique("ops-state"), unique("gitops-locks")  # the moto server is shared
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    db = boto3.client("dynamodb", region_name="us-east-1")
    db.create_table(TableName=table,
                    KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST")
    (repo / "deploy.yaml").write_text(S3_DEPLOY.replace("ops-state", bucket)
                                      .replace("gitops-locks", table))
    applied = run_cli(["apply", "--auto-approve"], SANDBOX)
    assert applied.code == 0, applied.err
    assert f"warning: bucket {bucket} has no versioning" in applied.err
    body = s3.get_object(Bucket=bucket, Key="runpod/ops/dev.json")["Body"].read()
    assert sorted(json.loads(body)["pods"]) == ["web", "web-1"]
    assert db.scan(TableName=table)["Items"] == []
    assert run_cli(["plan", "--detailed-exitcode"], SANDBOX).code == 0


def test_cli_declining_the_apply_prompt_says_it_was_cancelled(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr("gitops_runner.cli.core.confirm", lambda q: asked.append(q) or False)
    result = run_cli(["apply"], SANDBOX)
    assert asked == ["Apply these changes?"]
    assert result.code == 1  # CONTRACT §6: apply exits 0 only when converged
    assert "cancelled at the prompt: nothing was applied" in result.out
    assert "NOT converged" not in result.out + result.err
    assert "0 created" in result.out


def test_cli_sandbox_requests_never_go_through_the_environments_proxy(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator and its pod proxy listen on 127.0.0.1: a proxy set for the internet
    (here one that refuses every connection) must not carry the sandbox's requests."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    plan = run_cli(["plan", "--detailed-exitcode"], SANDBOX)
    assert plan.code == 2, plan.err
    assert "+ web  create" in plan.out
    applied = run_cli(["apply", "--auto-approve"], SANDBOX)  # the health checks too
    assert applied.code == 0, applied.err
    assert "ops/dev: 2 created" in applied.out
