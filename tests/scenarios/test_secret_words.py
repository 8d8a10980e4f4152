"""A secret whose value is a word gitops-runner prints (`create`) does not blank that
word in any report; the reports hold no secret value in the first place; a real secret
is still masked everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: words}
state: {path: .state}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    runtime:
      image: python:3.12-slim
      env: {MODE: {secret: MODE}, HF_TOKEN: {secret: HF_TOKEN}}
"""


def test_secret_create_keeps_the_plan_json_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    env = {**SANDBOX, "MODE": "create", "HF_TOKEN": "hf_real_secret_0042"}
    result = run_cli(["plan", "--format", "json"], env)
    [stack] = json.loads(result.out)["stacks"]
    assert [a["action"] for a in stack["actions"]] == ["create"]
    assert "hf_real_secret_0042" not in result.out + result.err
    assert "warning: the value of secret MODE is a word gitops-runner prints" in result.err
    text = run_cli(["plan"], env)
    assert "+ web  create" in text.out and "hf_real_secret_0042" not in text.out
    # The report itself never held the values: the plan core shows them as sensitive.
    assert stack["actions"][0]["after"]["env"]["MODE"] == "(secret MODE)"
