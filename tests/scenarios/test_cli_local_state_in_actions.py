"""The plain CLI in a GitHub Actions step refuses local state for anything that changes
RunPod, as the action does (CONTRACT §8); plan and `schedule --at` still run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: app, environment: prod}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
"""
# Nothing listens there: a command that got as far as RunPod would fail differently.
ACTIONS = {"GITHUB_ACTIONS": "true", "RUNPOD_API_KEY": "rpa_x", "RUNPOD_API_URL":
           "http://127.0.0.1:9"}


@pytest.mark.parametrize("argv", [["apply", "--auto-approve"], ["destroy", "--auto-approve"],
                                  ["schedule"]])
def test_cli_refuses_local_state_in_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            argv: list[str]) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    result = run_cli(argv, ACTIONS)
    assert result.code == 1
    assert "app/prod keep(s) state with backend: local, which vanishes with the runner" \
        in result.err
    assert "gitops-runner init --backend s3" in result.err
    assert not (tmp_path / ".gitops-runner").exists(), "no state, no lock written"
