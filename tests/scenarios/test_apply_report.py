"""The apply report names every pod acted on, and counts a stop made after a create."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli, web_deploy

DEPLOY = web_deploy("rep", """\
  - name: batch
    gpu: {type: NVIDIA L4}
    runtime: {image: "python:3.12-slim", args: ["sleep", "infinity"]}
    status: stopped
""")


def test_apply_report_names_each_pod_and_counts_stops_after_create(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    result = run_cli(["apply", "--auto-approve", "--format", "json"], SANDBOX)
    assert result.code == 0, result.err
    [stack] = json.loads(result.out)["stacks"]
    pods = {p["pod"]: p for p in stack["pods"]}
    assert set(pods) == {"web", "batch"}
    assert pods["batch"]["stopped_after"] is True and pods["web"]["stopped_after"] is False
    assert all(p["ok"] and p["pod_id"] and p["gpu"] == "NVIDIA L4" and p["data_center"]
               for p in pods.values())
    assert stack["done"]["create"] == 2 and stack["done"]["stop"] == 1
    listed = json.loads(run_cli(["state", "list", "--format", "json"], SANDBOX).out)["pods"]
    assert {p["pod"]: p["id"] for p in listed} == {n: p["pod_id"] for n, p in pods.items()}


def test_apply_text_lists_each_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    result = run_cli(["apply", "--auto-approve"], SANDBOX)
    assert "2 created" in result.out and "1 stopped" in result.out
    assert "  batch: create + stop (pod " in result.out
    assert "  web: create (pod " in result.out


def test_status_says_a_pod_is_declared_stopped(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    text = run_cli(["status"], SANDBOX).out
    assert "declared stopped (status: stopped)" in text
    pods = json.loads(run_cli(["status", "--format", "json"], SANDBOX).out)["stacks"][0]["pods"]
    assert {p["pod"]: p["declared_stopped"] for p in pods} == {"batch": True, "web": False}
