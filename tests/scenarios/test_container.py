"""The container's entrypoint, run as GitHub runs it, from a wheel installed into a
clean venv (no Docker engine here). Dependencies come from the wheelhouse .ci/run
fills, so the test itself never reaches the network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.fakes.github import fake_github
from tests.provision import wheelhouse

pytestmark = pytest.mark.slow  # builds a wheel and a clean venv

ROOT = Path(__file__).resolve().parents[2]


def test_container_entrypoint_from_clean_venv(tmp_path: Path) -> None:
    wheels = wheelhouse()
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "--quiet", "--no-index", "--find-links", str(wheels),
                    "gitops-runner"], check=True)
    exe = env_dir / "bin" / "gitops-runner"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    init = subprocess.run([str(exe), "init", "--project", "box"], cwd=workspace,
                          capture_output=True, text=True, check=True)
    assert "gitops-runner-plan.yml" in init.stdout, "workflows ship inside the wheel"
    (workspace / "event.json").write_text(json.dumps({"number": 3, "pull_request": {"number": 3}}))
    with fake_github() as (api, gh):
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_ACTIONS": "true",
               "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(workspace /
                                                                             "event.json"),
               "GITHUB_REPOSITORY": "acme/box", "GITHUB_API_URL": api, "GITHUB_SHA": "abc",
               "GITHUB_RUN_ID": "5", "GITHUB_WORKSPACE": str(workspace),
               "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "sum"),
               "INPUT_GITHUB-TOKEN": "ghs_x", "INPUT_CONFIG": "deploy/*.yaml",
               "GITOPS_RUNNER_SANDBOX": "1"}
        result = subprocess.run([str(exe), "action"], cwd=workspace, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert len(gh.comments) == 1
    assert "has-changes<<" in (tmp_path / "out").read_text()
    assert sys.executable != str(env_dir / "bin" / "python")
