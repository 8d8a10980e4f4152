"""One stack's failure in a multi-stack run is reported; the others still run."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.state.base import LockInfo, RunIdentity
from gitops_runner.state.local import FileLocker
from tests.helpers import SANDBOX, run_cli

STACK = """\
version: 1
project: {{name: {name}, environment: prod}}
state: {{path: ../.state}}
guardrails: {{allow_delete: true}}
pods:
  - name: api
    gpu: {{type: NVIDIA L4}}
    runtime: {{image: "img:1"}}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy").mkdir()
    for name in ("alpha", "beta"):
        (tmp_path / "deploy" / f"{name}.yaml").write_text(STACK.format(name=name))
    return tmp_path


@pytest.mark.parametrize("command", [["apply", "--auto-approve"], ["destroy", "--auto-approve"]])
def test_multistack_locked_stack_reported_others_still_run(repo: Path,
                                                           command: list[str]) -> None:
    if command[0] == "destroy":
        assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    held = FileLocker(str(repo / ".state"), "alpha", "prod")
    info = LockInfo.new("apply", "alpha/prod", RunIdentity("someone-else"))
    held.lock(info, deadline=0)
    try:
        result = run_cli(command, SANDBOX)
    finally:
        held.unlock(info.id)
    assert result.code == 1
    lines = result.out.splitlines()
    assert "alpha/prod: failed (the error is on stderr)" in lines, result.out
    assert "error: alpha/prod: state of alpha/prod is locked" in result.err
    assert any(line.startswith("beta/prod: 1 ") for line in lines), result.out
    # Said once, after the summaries: not also as an "error:" line on stderr.
    assert (result.out + result.err).count("state of alpha/prod is locked") == 1, result.err
