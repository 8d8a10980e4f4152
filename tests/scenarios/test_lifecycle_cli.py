"""Lifecycle through the CLI in the sandbox: declared stopped pods, `schedule --at`,
`--start`, and the monthly cost in plan output (CONTRACT §6, §11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.clock import VIRTUAL
from tests.helpers import SANDBOX, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: life, environment: dev}
state: {path: .state}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
    volume: {size_gb: 100, path: /workspace}
    schedule: {timezone: Europe/Paris, running: ["Mon-Fri 08:00-20:00"]}
  - name: batch
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
    status: stopped
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def test_cli_plan_shows_the_month_and_what_the_schedule_saves(repo: Path) -> None:
    plan = run_cli(["plan"], SANDBOX)
    assert plan.code == 0, plan.err
    assert "declared stopped: created, checked for readiness, then stopped" in plan.out
    assert ("Monthly (30 days, GPU + storage, each pod at its current GPU, or its first "
            "choice): $0.00/month -> $") in plan.out
    markdown = run_cli(["plan", "--format", "markdown"], SANDBOX).out
    assert "; with schedule: $" in markdown and "(saves $" in markdown
    cost = json.loads(run_cli(["plan", "--format", "json"], SANDBOX).out)["stacks"][0]["cost"]
    assert cost["monthly_before"] == 0.0 and cost["monthly_after"] > 0


def _pods(repo: Path) -> list[dict[str, object]]:
    world = json.loads((repo / ".state" / "sandbox" / "runpod.json").read_text())
    return sorted(({"id": p["id"], "stopped": p["stopped"], "boots": p["boots"]} for p in world["pods"]
                   if not p["terminated"]), key=lambda p: str(p["id"]))


def _files(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}


def test_cli_schedule_at_rehearses_and_changes_nothing(repo: Path) -> None:
    applied = run_cli(["apply", "--auto-approve"], SANDBOX)
    assert applied.code == 0, applied.err
    # Started by hand whatever the clock says (apply outside the window leaves web stopped).
    assert run_cli(["schedule", "--start", "web"], SANDBOX).code == 0
    VIRTUAL.sleep(10)
    pods, state = _pods(repo), _files(repo / ".state" / "life")
    # Saturday noon, Paris: web's window is closed; a rehearsal says so and stops nothing.
    saturday = run_cli(["schedule", "--at", "2026-12-05T12:00:00+01:00"], SANDBOX)
    assert saturday.code == 0, saturday.err
    assert saturday.out.splitlines() == [
        "Stack life/dev at Sat 2026-12-05 12:00 Europe/Paris (2026-12-05T11:00:00Z) "
        "(rehearsal: nothing is changed)",
        "  web: would stop (outside its running windows (Mon-Fri 08:00-20:00 Europe/Paris))"]
    forced = run_cli(["schedule", "--at", "2026-12-05T12:00:00+01:00", "--start", "batch",
                      "--format", "json"], SANDBOX)
    (stack,) = json.loads(forced.out)["stacks"]
    assert stack["rehearsal"] is True
    assert [(e["pod"], e["action"]) for e in stack["events"]] == [("web", "stop"),
                                                                  ("batch", "start")]
    assert _pods(repo) == pods, "no RunPod write"
    assert _files(repo / ".state" / "life") == state, "no state write, no lock taken"
    assert False in {p["stopped"] for p in pods}, "web still runs on Saturday"
    started = run_cli(["schedule", "--start", "batch"], SANDBOX)
    assert "  batch: start (started with --start)" in started.out.splitlines()


@pytest.mark.parametrize(("argv", "message"), [
    (["schedule", "--at", "friday"], "--at: 'friday' is not an RFC 3339 time"),
    (["schedule", "--at", "2026-12-04T20:05:00"], "has no UTC offset; add Z or +HH:MM"),
    (["schedule", "--start", "nope"], "--start: no pod named nope in the deploy files"),
])
def test_cli_schedule_bad_arguments_exit_1(repo: Path, argv: list[str], message: str) -> None:
    result = run_cli(argv, SANDBOX)
    assert result.code == 1 and message in result.err


def test_cli_gitops_runner_now_judges_the_schedule_at_that_time(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    assert run_cli(["schedule", "--start", "web"], SANDBOX).code == 0
    VIRTUAL.sleep(10)
    saturday = {**SANDBOX, "GITOPS_RUNNER_NOW": "2026-12-05T12:00:00+01:00"}
    stopped = run_cli(["schedule"], saturday)
    assert stopped.code == 0, stopped.err
    assert "GITOPS_RUNNER_NOW: schedules, idle stop and TTLs are judged at " \
           "2026-12-05T12:00:00+01:00" in stopped.err
    assert "  web: stop (outside its running windows" in stopped.out
    assert True in {p["stopped"] for p in _pods(repo)}, "a real run at that time acts"
    refused = run_cli(["schedule"], {**saturday, "GITHUB_ACTIONS": "true"})
    assert refused.code == 1 and "GITOPS_RUNNER_NOW is refused in GitHub Actions" in refused.err


def test_cli_status_judges_the_window_at_gitops_runner_now_as_schedule_does(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    monday = {**SANDBOX, "GITOPS_RUNNER_NOW": "2026-12-07T09:00:00+01:00"}
    shown = run_cli(["status", "--format", "json"], monday)
    assert shown.code == 0, shown.err
    web = next(p for p in json.loads(shown.out)["stacks"][0]["pods"] if p["pod"] == "web")
    # Monday 09:00 Paris is inside Mon-Fri 08:00-20:00: open, next a stop that evening.
    assert web["schedule"]["state"] == "open"
    assert web["schedule"]["next_change"]["at_utc"] == "2026-12-07T19:00:00Z"
