"""init: what a newcomer's first commit holds, and the branch the workflows apply from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gitops_runner import __version__, release
from gitops_runner.commands.init import default_branch, write_starter
from gitops_runner.config.starter import REPOSITORY, precommit_config, precommit_rev
from tests.helpers import SANDBOX, run_cli


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "trunk")
    _git(tmp_path, "config", "user.email", "t@example.invalid")
    _git(tmp_path, "config", "user.name", "t")
    return tmp_path


def test_init_then_sandbox_apply_commits_no_state_lock_or_sandbox_file(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert run_cli(["init"]).code == 0
    assert run_cli(["apply", "--auto-approve"], env=SANDBOX).code == 0
    assert (repo / "deploy" / ".gitops-runner" / "sandbox" / "runpod.json").is_file()
    _git(repo, "add", "-A")
    staged = _git(repo, "diff", "--cached", "--name-only").split()
    assert ".gitignore" in staged and "deploy/dev.yaml" in staged
    assert not [path for path in staged if ".gitops-runner" in path], staged


def test_init_adds_to_an_existing_gitignore_once(repo: Path) -> None:
    (repo / ".gitignore").write_text("node_modules/")
    assert run_cli(["init", "--dir", str(repo)]).code == 0
    text = (repo / ".gitignore").read_text()
    assert text.startswith("node_modules/\n") and "deploy/.gitops-runner/" in text
    assert run_cli(["init", "--dir", str(repo), "--force"]).code == 0
    assert (repo / ".gitignore").read_text() == text


def test_init_workflows_apply_from_the_repositorys_default_branch(repo: Path) -> None:
    assert default_branch(str(repo)) == "trunk"  # no remote: the branch checked out
    assert run_cli(["init", "--dir", str(repo)]).code == 0
    apply = YAML(typ="safe").load((repo / ".github/workflows/gitops-runner-apply.yml").read_text())
    assert apply["on"]["push"]["branches"] == ["trunk"]


def test_default_branch_prefers_the_remotes_head(repo: Path, tmp_path_factory:
                                                  pytest.TempPathFactory) -> None:
    origin = tmp_path_factory.mktemp("origin")
    _git(origin, "init", "-q", "--bare", "-b", "production")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "x")
    _git(repo, "push", "-q", str(origin), "trunk:production")
    clone = tmp_path_factory.mktemp("clone") / "c"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    _git(clone, "checkout", "-q", "-b", "feature")
    assert default_branch(str(clone)) == "production"


def test_default_branch_outside_git_is_main(tmp_path: Path) -> None:
    assert default_branch(str(tmp_path)) == "main"


def test_precommit_rev_is_a_commit_or_the_branch_never_a_tag_that_does_not_exist() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert precommit_rev("1.2.3", sha) == f"{sha}  # v1.2.3"
    unstamped = YAML(typ="safe").load(precommit_config(__version__))
    assert unstamped["repos"][0]["rev"] == "main"
    assert "rev: v" not in precommit_config(__version__)


IDLE_DEPLOY = """\
version: 1
project: {name: batch, environment: prod}
state: {path: .state}
pods:
  - name: trainer
    gpu: {type: NVIDIA L4}
    runtime: {image: "python:3.12-slim"}
    idle_stop: {gpu_util_below: 5, minutes: 60}
"""


def _drift_crons(repo: Path) -> list[str]:
    workflow = YAML(typ="safe").load(
        (repo / ".github" / "workflows" / "gitops-runner-drift.yml").read_text())
    return [entry["cron"] for entry in workflow["on"]["schedule"]]


def test_init_drift_workflow_runs_every_15_minutes_when_a_deploy_file_uses_idle_stop(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert run_cli(["init"]).code == 0
    assert _drift_crons(repo) == ["17 * * * *"]  # the starter has no idle_stop: hourly
    assert run_cli(["validate"]).out.count("warning") == 0
    (repo / "deploy" / "batch.yaml").write_text(IDLE_DEPLOY)
    slow = run_cli(["validate"])
    assert slow.code == 0
    assert ("deploy/batch.yaml: warning: pods use idle_stop, but "
            ".github/workflows/gitops-runner-drift.yml runs `schedule` only every 60 minutes"
            in slow.out), slow.out
    assert "deploy/dev.yaml: warning" not in slow.out
    assert run_cli(["init", "--force"]).code == 0
    assert _drift_crons(repo) == ["*/15 * * * *"]
    assert "warning" not in run_cli(["validate"]).out


def test_init_pins_the_schema_modeline_to_the_release(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr(release, "COMMIT", sha)
    write_starter(str(tmp_path), "demo", force=False)
    modeline = (tmp_path / "deploy" / "dev.yaml").read_text().splitlines()[0]
    assert modeline == ("# yaml-language-server: $schema=https://raw.githubusercontent.com/"
                        f"{REPOSITORY}/{sha}/schemas/deploy.schema.json")
