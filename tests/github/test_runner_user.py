"""When the action keeps its uid (the drop itself runs in tests/test_container_uid.py,
in a subprocess, since it cannot be undone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_runner.github.runner_user import adopt_workspace_owner


@pytest.mark.parametrize("env", [
    {},  # not in GitHub Actions
    {"GITHUB_ACTIONS": "true"},  # no workspace
    {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/nonexistent/workspace"},
])
def test_runner_user_stays_without_an_actions_workspace(env: dict[str, str]) -> None:
    assert adopt_workspace_owner(env) == ""


def test_runner_user_stays_root_on_a_root_owned_workspace(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}
    assert adopt_workspace_owner(env) == ""
    assert os.geteuid() == 0
