"""The action under another uid than the workspace's owner, as a Docker action starts:
as root (the image has no USER) on a workspace and file-command files owned by the
runner's user. setpriv plays a runner whose uid the image cannot know."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest

from tests.fakes.github import fake_github, pull_request_event

ROOT = Path(__file__).resolve().parents[2]
OWNER = 4242  # the runner's user, which the image does not know
STRANGER = 5151
DEPLOY = """\
version: 1
project: {name: box, environment: dev}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    runtime: {image: "python:3.12-slim"}
"""

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to play a runner with another uid")]


@lru_cache(maxsize=1)
def interpreter() -> tuple[str, str]:
    """A Python another uid can run, and the PYTHONPATH for it. The container's lives in
    /usr/local; here the venv's base may sit under a root-only home, so fall back to the
    system's python of the same version with the venv's packages on the path."""
    path = os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"]])
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    for exe in (sys.executable, system):
        # As the action does: start as root, drop, then import what comes later.
        probe = subprocess.run([exe, "-c", f"import os; os.setgid({OWNER}); os.setuid({OWNER})"
                                "; import gitops_runner.commands.action, pprint, pydoc"],
                               env={"PYTHONPATH": path, "PATH": os.environ["PATH"]},
                               capture_output=True, cwd="/")
        if probe.returncode == 0:
            return exe, path
    pytest.skip("no Python here that another uid can run")


@pytest.fixture
def runner_dirs() -> Iterator[Path]:
    """/tmp/x/{workspace,file_commands}, owned by OWNER as a runner's would be; outside
    pytest's tmp_path, which other uids cannot enter."""
    base = Path(tempfile.mkdtemp(prefix="gitops-runner-uid-"))
    os.chmod(base, 0o755)
    for name in ("workspace", "workspace/deploy", "file_commands"):
        (base / name).mkdir()
    (base / "workspace" / "deploy" / "dev.yaml").write_text(DEPLOY)
    (base / "workspace" / "event.json").write_text(json.dumps(pull_request_event(3)))
    for name in ("out", "summary"):
        (base / "file_commands" / name).write_text("")
        os.chmod(base / "file_commands" / name, 0o644)  # only the owner may write
    for path in [base / "workspace", base / "file_commands", *base.rglob("*")]:
        os.chown(path, OWNER, OWNER)
    yield base
    shutil.rmtree(base)


def run_action(base: Path, api: str, prefix: list[str]) -> subprocess.CompletedProcess[str]:
    exe, pythonpath = interpreter()
    env = {"PATH": os.environ["PATH"], "HOME": str(base), "PYTHONPATH": pythonpath,
           "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_EVENT_PATH": str(base / "workspace" / "event.json"),
           "GITHUB_REF": "refs/pull/3/merge", "GITHUB_REPOSITORY": "acme/models",
           "GITHUB_API_URL": api, "GITHUB_SHA": "abc", "GITHUB_RUN_ID": "5",
           "GITHUB_WORKSPACE": str(base / "workspace"),
           "GITHUB_OUTPUT": str(base / "file_commands" / "out"),
           "GITHUB_STEP_SUMMARY": str(base / "file_commands" / "summary"),
           "INPUT_GITHUB-TOKEN": "ghs_x", "GITOPS_RUNNER_SANDBOX": "1",
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([*prefix, exe, "-m", "gitops_runner", "action"],
                          cwd=base / "workspace", env=env, capture_output=True, text=True,
                          timeout=120)


def test_container_uid_root_start_becomes_the_workspace_owner(runner_dirs: Path) -> None:
    with fake_github() as (api, gh):
        result = run_action(runner_dirs, api, [])
    assert result.returncode == 0, result.stderr
    assert f"running as uid {OWNER}" in result.stderr
    out = (runner_dirs / "file_commands" / "out").read_text()
    assert "plan-json<<" in out and "gitops-runner-plan.json" in out
    assert (runner_dirs / "file_commands" / "summary").read_text()
    assert len(gh.comments) == 1
    written = list((runner_dirs / "workspace").rglob("*"))
    assert runner_dirs / "workspace" / "gitops-runner-plan.json" in written
    assert {p.stat().st_uid for p in written} == {OWNER}, "no root-owned file is left"


def test_container_uid_stranger_fails_before_changing_anything(runner_dirs: Path) -> None:
    # A runner that started the container as a uid which cannot write the file commands:
    # refused up front with the cause, not a PermissionError after pods were changed.
    with fake_github() as (api, gh):
        result = run_action(runner_dirs, api, ["setpriv", f"--reuid={STRANGER}",
                                               f"--regid={STRANGER}", "--clear-groups"])
    assert result.returncode == 1
    assert "cannot write the step outputs ($GITHUB_OUTPUT)" in result.stderr
    assert f"running as uid {STRANGER}; the file is owned by uid {OWNER}" in result.stderr
    assert "unexpected error" not in result.stderr
    assert gh.requests == [] and not (runner_dirs / "workspace" / ".gitops-runner").exists()


def test_container_uid_runner_user_itself_needs_no_change(runner_dirs: Path) -> None:
    with fake_github() as (api, _gh):
        result = run_action(runner_dirs, api, ["setpriv", f"--reuid={OWNER}",
                                               f"--regid={OWNER}", "--clear-groups"])
    assert result.returncode == 0, result.stderr
    assert "running as uid" not in result.stderr
    assert "has-changes<<" in (runner_dirs / "file_commands" / "out").read_text()
