"""The sandbox's simulated RunPod file never holds a secret's value, and still behaves:
a re-plan with the same secret shows no change, a rotated one shows the update."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: demo}
state: {backend: local, path: .state}
pods:
  - name: web
    gpu: {type: NVIDIA GeForce RTX 4090}
    ports: ["8000/http"]
    runtime:
      image: python:3.12-slim
      args: ["python3", "-m", "http.server", "8000"]
      env: {HF_TOKEN: {secret: HF_TOKEN}}
"""
TOKEN = "hf_very_secret_value_123"


def test_sandbox_file_keeps_a_digest_and_plans_stay_right(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    env = {**SANDBOX, "HF_TOKEN": TOKEN}
    assert run_cli(["apply", "--auto-approve"], env=env).code == 0
    stored = (tmp_path / ".state" / "sandbox" / "runpod.json").read_text()
    assert TOKEN not in stored and "sandbox-sealed:sha256:" in stored
    again = run_cli(["plan", "--detailed-exitcode"], env=env)
    assert again.code == 0, again.out + again.err
    rotated = run_cli(["plan", "--detailed-exitcode"], env={**env, "HF_TOKEN": "hf_rotated_999"})
    assert rotated.code == 2 and "sensitive value changed" in rotated.out
    assert "hf_rotated_999" not in rotated.out + rotated.err
