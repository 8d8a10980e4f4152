"""The JSON reports of a stack with a serverless endpoint validate against their schemas
and carry the endpoint (CONTRACT §14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli
from tests.scenarios.test_json_reports import DEPLOY, _check

WITH_ENDPOINT = DEPLOY + """\
endpoints:
  - name: gen
    type: LOAD_BALANCER
    gpu: {pools: [AMPERE_48], count: 2}
    workers: {min: 1, max: 2}
    scaling: {type: REQUEST_COUNT, value: 3}
    timeout: 120
    runtime: {image: "acme/gen:1", disk_gb: 30}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, WITH_ENDPOINT)


def run(command: str) -> dict[str, object]:
    extra = ["--auto-approve"] if command in ("apply", "destroy") else []
    result = run_cli([*command.split(), "--format", "json", *extra], SANDBOX)
    assert result.code in (0, 2), f"{command}: {result.err}"
    return _check(command, result.out)


def test_json_reports_with_an_endpoint_validate_and_show_it(repo: Path) -> None:
    plan = run("plan")["stacks"][0]  # type: ignore[index]
    (action,) = plan["endpoint_actions"]
    assert action["action"] == "create" and action["cost"] == {  # type: ignore[index]
        "min_workers": 2.44, "max_workers": 4.88}  # AMPERE_48 $1.22/h x 2 GPUs
    applied = run("apply")
    (done,) = applied["stacks"][0]["endpoints"]  # type: ignore[index]
    assert done["ok"] and done["urls"]["base"].endswith(".api.runpod.ai")
    drift = run("drift")
    assert drift["has_drift"] is False
    status = run("status")
    (row,) = status["stacks"][0]["endpoints"]  # type: ignore[index]
    assert row["status"] == "READY" and row["workers"]["total"] == 1
    listed = run("state list")
    assert [e["endpoint"] for e in listed["endpoints"]] == ["gen"]  # type: ignore[attr-defined]
    shown = run("state show")
    assert "gen" in shown["state"]["endpoints"]  # type: ignore[index]
    destroyed = run("destroy")
    assert destroyed["stacks"][0]["endpoints_deleted"] == ["gen"]  # type: ignore[index]
