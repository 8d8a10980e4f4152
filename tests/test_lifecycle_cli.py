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


def test_cli_apply_then_schedule_week_edges_and_drift(repo: Path) -> None:
    applied = run_cli(["apply", "--auto-approve"], SANDBOX)
    assert applied.code == 0, applied.err
    assert run_cli(["plan", "--detailed-exitcode"], SANDBOX).code == 0
    # Monday 09:00 Paris: web's window is open; batch is declared stopped and left alone.
    morning = run_cli(["schedule", "--at", "2026-12-07T09:00:00+01:00"], SANDBOX)
    assert morning.code == 0, morning.err
    VIRTUAL.sleep(10)  # hourly runs: RunPod's reads have caught up with the start
    # Friday 20:05: closed. The report names the pod and why.
    evening = run_cli(["schedule", "--at", "2026-12-04T20:05:00+01:00"], SANDBOX)
    assert evening.out.splitlines() == [
        "Stack life/dev at Fri 2026-12-04 20:05 Europe/Paris (2026-12-04T19:05:00Z)",
        "  web: stop (outside its running windows (Mon-Fri 08:00-20:00 Europe/Paris))"]
    again = run_cli(["schedule", "--at", "2026-12-04T20:05:00+01:00", "--format", "json"],
                    SANDBOX)
    assert json.loads(again.out)["stacks"][0]["events"] == []
    drift = run_cli(["drift"], SANDBOX)
    assert drift.code == 0, drift.out
    forced = run_cli(["schedule", "--at", "2026-12-05T12:00:00+01:00", "--start", "batch"],
                     SANDBOX)
    assert "  batch: start (started with --start)" in forced.out.splitlines()


@pytest.mark.parametrize(("argv", "message"), [
    (["schedule", "--at", "friday"], "--at: 'friday' is not an RFC 3339 time"),
    (["schedule", "--at", "2026-12-04T20:05:00"], "has no UTC offset; add Z or +HH:MM"),
    (["schedule", "--start", "nope"], "--start: no pod named nope in the deploy files"),
])
def test_cli_schedule_bad_arguments_exit_1(repo: Path, argv: list[str], message: str) -> None:
    result = run_cli(argv, SANDBOX)
    assert result.code == 1 and message in result.err
