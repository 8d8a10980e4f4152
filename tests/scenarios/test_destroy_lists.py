"""destroy names what it destroys, before asking and in its report (CONTRACT §4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: ops, environment: dev}
state: {path: .state}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    volume: {size_gb: 30, path: /workspace}
    runtime: {image: "img:1"}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def test_destroy_lists_pods_and_volumes_before_asking_and_in_its_report(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    asked = run_cli(["destroy"], SANDBOX)  # not a terminal: refused after the list
    assert asked.code == 1
    assert "ops/dev: 1 pod(s) to terminate:" in asked.err
    assert "destroys: pod volume 30 GB at /workspace" in asked.err
    gone = run_cli(["destroy", "--auto-approve", "--format", "json"], SANDBOX)
    assert gone.code == 0, gone.err
    (stack,) = json.loads(gone.out)["stacks"]
    (pod,) = stack["pods"]
    assert pod["pod"] == "web" and pod["destroys"] == [
        {"kind": "pod volume", "size_gb": 30, "path": "/workspace"}]
