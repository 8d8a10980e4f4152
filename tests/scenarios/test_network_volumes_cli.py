"""Network volumes through the CLI in the sandbox: every JSON report knows them and still
validates; status lists them; destroy deletes them and says so (CONTRACT §6, §14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli
from tests.scenarios.test_json_reports import _check

DEPLOY = """\
version: 1
project: {name: ops, environment: dev}
state: {path: .state}
volumes:
  - {name: cache, size_gb: 20, data_center: EU-RO-1}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    network_volume: {name: cache, path: /workspace}
    runtime: {image: "img:1"}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def test_volume_reports_validate_and_destroy_deletes_the_volume(repo: Path) -> None:
    plan = _check("plan", run_cli(["plan", "--format", "json"], SANDBOX).out)
    actions = plan["stacks"][0]["volume_actions"]  # type: ignore[index]
    assert [(v["action"], v["runpod_name"]) for v in actions] == [("create", "ops-dev-cache")]
    applied = run_cli(["apply", "--auto-approve", "--format", "json"], SANDBOX)
    data = _check("apply", applied.out)
    assert data["converged"], applied.err
    assert [(v["action"], v["ok"]) for v in data["stacks"][0]["volumes"]] == [  # type: ignore[index]
        ("create", True)]
    status = _check("status", run_cli(["status", "--format", "json"], SANDBOX).out)
    (row,) = status["stacks"][0]["volumes"]  # type: ignore[index]
    assert (row["name"], row["status"], row["size_gb"]) == ("ops-dev-cache", "AVAILABLE", 20)
    listed = _check("state list", run_cli(["state", "list", "--format", "json"], SANDBOX).out)
    assert [v["name"] for v in listed["volumes"]] == ["ops-dev-cache"]  # type: ignore[attr-defined]
    drift = run_cli(["drift", "--format", "json"], SANDBOX)
    assert drift.code == 0, drift.out
    Path("deploy.yaml").write_text(DEPLOY.replace("size_gb: 20", "size_gb: 30"))
    pending = run_cli(["drift", "--format", "json"], SANDBOX)
    assert pending.code == 2
    findings = _check("drift", pending.out)["stacks"][0]["findings"]  # type: ignore[index]
    assert findings == [{"pod": "volume cache [EU-RO-1]", "class": "pending",
                         "reasons": ["size_gb: 20 -> 30"],
                         "changes": [{"field": "size_gb", "before": 20, "after": 30}]}]
    assert "volume cache" in run_cli(["status"], SANDBOX).out
    text = run_cli(["destroy", "--auto-approve"], SANDBOX)
    assert text.code == 0, text.err
    assert ("1 pod(s) terminated, network volume ops-dev-cache deleted (destroys 20 GB in "
            "EU-RO-1), state emptied") in text.out
    state = json.loads(run_cli(["state", "show", "--format", "json"], SANDBOX).out)["state"]
    assert "volumes" not in state and state["pods"] == {}


def test_state_rm_and_import_take_a_volume_address(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    listed = json.loads(run_cli(["state", "list", "--format", "json"], SANDBOX).out)
    (volume_id,) = [v["id"] for v in listed["volumes"]]
    rm = run_cli(["state", "rm", "volume.cache"], SANDBOX)
    assert rm.code == 0, rm.err
    assert "volume cache removed from state (ops-dev-cache; RunPod untouched" in rm.out
    again = run_cli(["state", "import", "volume.cache", volume_id], SANDBOX)
    assert again.code == 0, again.err
    assert f"imported network volume {volume_id} as volume cache in EU-RO-1" in again.out
    plan = run_cli(["plan", "--detailed-exitcode"], SANDBOX)
    assert plan.code == 0, plan.out  # the same volume, the same name: nothing to do
    history = run_cli(["state", "history"], SANDBOX).out
    assert "volume cache forgotten" in history and f"{volume_id} imported" in history
    unknown = run_cli(["state", "import", "volume.nope", volume_id], SANDBOX)
    assert unknown.code == 1 and "nope is not a volume of ops/dev; volumes: cache" in unknown.err
