"""Every report a command prints with --format json validates against its schema in
schemas/reports/, and every command that takes --format json is run here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from jsonschema import Draft202012Validator

from gitops_runner.cli import cli
from gitops_runner.state.base import LockInfo, RunIdentity
from gitops_runner.state.local import FileLocker
from tests.helpers import SANDBOX, deploy_repo, run_cli

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "reports"
DEPLOY = """\
version: 1
project: {name: ops, environment: dev}
state: {path: .state}
guardrails: {allow_delete: true}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    ports: ["8000/http"]
    runtime: {image: "img:1"}
    health_check: {path: /, port: 8000, timeout_seconds: 20, interval_seconds: 1}
    schedule: {timezone: UTC, running: ["daily 00:00-24:00"]}
"""
# Command line -> schema; lock list and lock show print the same JSON.
COMMANDS = {
    "validate": "validate", "plan": "plan", "apply": "apply", "drift": "drift",
    "status": "status", "schedule": "schedule", "state show": "state-show",
    "state list": "state-list", "state history": "state-history", "lock list": "lock",
    "lock show": "lock", "preview list": "preview-list", "gpus": "gpus",
    "sandbox status": "sandbox-status", "destroy": "destroy",
}
EXTRA = {"apply": ["--auto-approve"], "destroy": ["--auto-approve"]}


def _json_commands(group: click.Group, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= _json_commands(command, f"{prefix}{name} ")
        elif any(p.name == "fmt" and "json" in getattr(p.type, "choices", ())
                 for p in command.params):
            found.add(prefix + name)
    return found


def _check(command: str, text: str) -> dict[str, object]:
    schema = json.loads((SCHEMAS / f"{COMMANDS[command]}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    data = json.loads(text)
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(data)]
    assert not errors, f"{command}: {errors}"
    assert data["format_version"] == 1
    return data  # type: ignore[no-any-return]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def test_json_reports_cover_every_command_with_a_json_format() -> None:
    assert _json_commands(cli) == set(COMMANDS)
    # error: what any command prints with --format json when it fails (cli.main)
    assert {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.json")} == set(
        COMMANDS.values()) | {"error"}


def test_json_reports_every_command_validates_against_its_schema(repo: Path) -> None:
    for command in COMMANDS:  # in order: plan before apply, destroy last
        result = run_cli([*command.split(), "--format", "json", *EXTRA.get(command, [])],
                         SANDBOX)
        assert result.code in (0, 2), f"{command}: {result.err}"
        data = _check(command, result.out)
        if command == "apply":
            assert data["converged"] is True
            assert data["stacks"][0]["done"]["create"] == 1  # type: ignore[index]
        if command == "state history":
            assert [h["operation"] for h in data["history"]] == ["apply"]  # type: ignore[attr-defined]
        if command == "status":
            assert data["notes"] and "only while a sandbox command runs" in str(data["notes"])
        if command == "sandbox status":
            assert [p["status"] for p in data["pods"]] == ["RUNNING"]  # type: ignore[attr-defined]
        if command == "gpus":
            l4 = {g["id"]: g for g in data["gpus"]}["NVIDIA L4"]  # type: ignore[attr-defined]
            assert l4["price_per_hour"] == {"secure": 0.49, "community": 0.43}
            assert l4["data_centers"][0]["availability"] in ("HIGH", "MEDIUM")


def test_json_reports_plan_of_two_stacks_validates(repo: Path) -> None:
    (repo / "deploy" ).mkdir()
    (repo / "deploy" / "a.yaml").write_text(DEPLOY)
    (repo / "deploy" / "b.yaml").write_text(DEPLOY.replace("environment: dev",
                                                           "environment: prod"))
    result = run_cli(["plan", "--format", "json", "-c", "deploy/a.yaml", "-c", "deploy/b.yaml"],
                     SANDBOX)
    data = _check("plan", result.out)
    assert [p["deploy_files"] for p in data["stacks"]] == [  # type: ignore[attr-defined]
        ["deploy/a.yaml"], ["deploy/b.yaml"]]


def test_json_reports_validate_errors_and_expired_lock_validate(repo: Path) -> None:
    (repo / "bad.yaml").write_text(DEPLOY.replace("name: ops", "name: Ops"))
    invalid = run_cli(["validate", "-c", "bad.yaml", "--format", "json"])
    assert invalid.code == 1
    assert _check("validate", invalid.out)["valid"] is False
    locker = FileLocker(str(repo / ".state"), "ops", "dev")
    old = LockInfo.new("apply", "ops/dev", RunIdentity("ci"), now=datetime(2020, 1, 1, tzinfo=UTC))
    locker.lock(old, deadline=0)
    try:
        listed = run_cli(["lock", "list", "--format", "json"])
        text = run_cli(["lock", "list"])
    finally:
        locker.unlock(old.id)
    lock = _check("lock list", listed.out)["locks"][0]  # type: ignore[index]
    assert (lock["locked"], lock["expired"], lock["holder"]["ID"]) == (True, True, old.id)
    assert text.out.startswith(f"ops/dev: lock {old.id}, held by ci")
    assert "[EXPIRED: " in text.out
