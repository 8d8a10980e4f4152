"""The rough edges a new user hit (issue 17), one test each: help on every option,
validate's messages, `apply plan.json` without -c, unlock failures after the summary,
every state repair in history, the sandbox's endpoint note."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
import pytest

from gitops_runner.cli import cli
from gitops_runner.commands import destroy
from gitops_runner.commands import lock as lock_command
from gitops_runner.config.model import Stack
from gitops_runner.engine.session import RunPodSettings, Session
from gitops_runner.output import Output
from gitops_runner.plan.planfile import parse_plan_file
from gitops_runner.state.base import LockError, LockInfo, RunIdentity
from gitops_runner.state.factory import open_backend
from tests.fakes.clock import VIRTUAL
from tests.fakes.memory import MemoryLocker, MemoryStore, Shared
from tests.helpers import run_cli
from tests.scenarios.test_cli_ops import DEPLOY, SANDBOX


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "ops.yaml").write_text(DEPLOY.replace("path: .state",
                                                                 "path: ../.state"))
    return tmp_path


def _options(group: click.Group, prefix: str = "") -> list[tuple[str, click.Parameter]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _options(command, f"{prefix}{name} ")
        found += [(prefix + name, p) for p in command.params if isinstance(p, click.Option)]
    return found


def test_help_every_option_has_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    missing = [f"{command} {param.opts[0]}" for command, param in _options(cli)
               if not param.help]
    assert missing == []
    assert run_cli(["apply", "--help"]).code == 0
    text = capsys.readouterr().out  # click prints help itself
    assert "--parallelism" in text and "RunPod writes" in text and "Rounds of retrying" in text


@pytest.mark.parametrize(("change", "expected"), [
    (("name: ops", "name: Ops--x"), ["project.name: 'Ops--x' is not a valid name"]),
    (("state: {path: .state}", "state: {backend: s3, bucket: ops-state, lock: {table: t}}"),
     ["state.lock.table: must be 3-255 characters long (got 1)"]),
    # A schema error (no gpu) and a semantic one (health port not an http port) together.
    (("    gpu: {type: NVIDIA L4}\n", "") , ["pods[0]: missing required key 'gpu'",
                                             "pods[0].health_check.port: 8000 is not one"]),
])
def test_validate_reports_each_problem_once_and_together(
        tmp_path: Path, change: tuple[str, str], expected: list[str]) -> None:
    text = DEPLOY.replace(*change)
    if "missing required key 'gpu'" in expected[0]:
        text = text.replace('ports: ["8000/http", "22/tcp"]', 'ports: ["22/tcp"]')
    (tmp_path / "d.yaml").write_text(text)
    result = run_cli(["validate", "-c", str(tmp_path / "d.yaml")])
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == len(expected), lines
    for line, want in zip(lines, expected, strict=True):
        assert want in line


def test_apply_planfile_needs_no_config(repo: Path) -> None:
    plan = run_cli(["plan", "-c", "stacks/ops.yaml", "--out", "plan.json"], SANDBOX)
    assert plan.code == 0, plan.err
    [stack] = json.loads((repo / "plan.json").read_text())["stacks"]
    assert stack["deploy_files"] == ["stacks/ops.yaml"]
    applied = run_cli(["apply", "plan.json"], SANDBOX)
    assert applied.code == 0, applied.err
    assert "ops/dev: 2 created" in applied.out


def test_planfile_without_deploy_files_still_parses(repo: Path) -> None:
    assert run_cli(["plan", "-c", "stacks/ops.yaml", "--out", "plan.json"], SANDBOX).code == 0
    data = json.loads((repo / "plan.json").read_text())["stacks"][0]
    del data["deploy_files"]  # a bare plan, as written before the plan file recorded them
    assert parse_plan_file(json.dumps(data))[0].deploy_files == ()


class Unreleasable(MemoryLocker):
    def unlock(self, lock_id: str) -> None:
        raise LockError("lock table unreachable")


def _session(out: io.StringIO, shared: Shared, locker_type: type[MemoryLocker]) -> Session:
    session = Session(out=Output(out=out, err=io.StringIO()), sandbox=True, clock=VIRTUAL,
                      runpod_settings=RunPodSettings(sandbox_boot_seconds=0.3),
                      identity=RunIdentity("tester"))

    def backends(stack: Stack, log: object) -> tuple[MemoryStore, MemoryLocker]:
        return MemoryStore(shared), locker_type(shared)

    session.backends = backends  # type: ignore[assignment]
    return session


def test_destroy_prints_its_summary_then_the_unlock_error(repo: Path) -> None:
    assert run_cli(["apply", "-c", "stacks/ops.yaml", "--auto-approve"], SANDBOX).code == 0
    out = io.StringIO()
    code = destroy.run(_session(out, Shared(), Unreleasable), ["stacks/ops.yaml"])
    assert code == 0
    lines = out.getvalue().splitlines()
    # The summary, the pods it terminated (#22: destroy names them), the unlock error last.
    assert lines[0] == "ops/dev: 2 pod(s) terminated, state emptied"
    assert len(lines) == 4 and all(line.startswith("  - terminated ") for line in lines[1:3])
    assert lines[3] == "  ops/dev: could not release the lock: lock table unreachable"


def test_state_history_records_every_repair(repo: Path) -> None:
    config = ["-c", "stacks/ops.yaml"]
    assert run_cli(["apply", *config, "--auto-approve"], SANDBOX).code == 0
    pulled = json.loads(run_cli(["state", "pull", *config]).out)
    web1 = pulled["pods"]["web-1"]["id"]
    assert run_cli(["state", "rm", "web-1", *config]).code == 0
    assert run_cli(["state", "import", "web-1", web1, *config], SANDBOX).code == 0
    pushed = json.loads(run_cli(["state", "pull", *config]).out)
    pushed["serial"] += 5
    (repo / "pushed.json").write_text(json.dumps(pushed))
    assert run_cli(["state", "push", "pushed.json", *config]).code == 0
    history = json.loads(run_cli(["state", "history", *config, "--format", "json"]).out)
    assert [h["operation"] for h in history["history"]] == [
        "apply", "state rm", "state import", "state push"]
    assert history["history"][1]["result"] == "web-1 forgotten"
    assert history["history"][2]["result"] == f"pod {web1} imported as web-1"


def test_state_history_records_force_unlock(repo: Path) -> None:
    assert run_cli(["apply", "-c", "stacks/ops.yaml", "--auto-approve"], SANDBOX).code == 0
    shared = Shared()
    stack = Session(out=Output()).stacks(["stacks/ops.yaml"])[0]
    local_store, _ = open_backend(stack)
    MemoryStore(shared).write(local_store.read().doc, None)  # type: ignore[arg-type]
    stale = LockInfo.new("apply", "ops/dev", RunIdentity("ci-run"))
    MemoryLocker(shared).lock(stale, deadline=0)
    out = io.StringIO()
    session = _session(out, shared, MemoryLocker)
    assert lock_command.force_unlock(session, ["stacks/ops.yaml"], stale.id, False) == 0
    assert out.getvalue() == f"ops/dev: lock {stale.id} removed\n"
    last = MemoryStore(shared).read().doc.history[-1]  # type: ignore[union-attr]
    assert (last.operation, last.who) == ("force-unlock", "tester")
    assert last.result == f"removed lock {stale.id} of ci-run (apply)"


def test_sandbox_status_says_endpoints_live_only_while_a_command_runs(repo: Path) -> None:
    assert run_cli(["apply", "-c", "stacks/ops.yaml", "--auto-approve"], SANDBOX).code == 0
    status = run_cli(["status", "-c", "stacks/ops.yaml"], SANDBOX)
    assert status.out.rstrip().splitlines()[-1].startswith(
        "Note: sandbox: these endpoint URLs are served by the simulator inside the "
        "gitops-runner process, so they answer only while a sandbox command runs")
