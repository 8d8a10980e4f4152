"""status rows for scheduled pods: window now, next change (local and UTC), idle stamps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitops_runner.config.model import PodSpec
from gitops_runner.config.windows import Schedule
from gitops_runner.engine.status import lifecycle
from gitops_runner.plan.statefile import PodRecord
from gitops_runner.report.status import lifecycle_lines
from tests.helpers import SANDBOX, deploy_repo, run_cli, web_deploy

SCHEDULED = web_deploy("sched", """\
    schedule: {timezone: Asia/Tokyo, running: ["Mon 09:00-10:00"]}
    idle_stop: {gpu_util_below: 5, minutes: 60}
""")


def test_lifecycle_names_the_window_and_the_next_change_in_the_pods_timezone() -> None:
    spec = PodSpec.__new__(PodSpec)
    object.__setattr__(spec, "schedule", Schedule("America/New_York", ("Mon-Fri 09:00-17:00",)))
    object.__setattr__(spec, "status", "running")
    object.__setattr__(spec, "idle_stop", None)
    record = PodRecord.__new__(PodRecord)
    object.__setattr__(record, "idle_samples", ())
    object.__setattr__(record, "idle_stopped", "2026-12-07T15:00:00Z")
    # Saturday 2026-12-05 12:00 UTC: closed; next opening Monday 09:00 EST = 14:00 UTC.
    life = lifecycle(spec, record, datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    assert life["schedule"]["state"] == "closed"
    assert life["schedule"]["next_change"] == {
        "action": "start", "at": "2026-12-07T09:00-05:00", "at_utc": "2026-12-07T14:00:00Z"}
    lines = lifecycle_lines({**life})
    assert lines[0].startswith("schedule: window closed (Mon-Fri 09:00-17:00 America/New_York); "
                               "next start Mon 2026-12-07 09:00 America/New_York")
    assert "idle stop: stopped at 2026-12-07T15:00:00Z" in lines[1]


def test_status_of_a_scheduled_pod_says_why_it_is_stopped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, SCHEDULED)
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    text = run_cli(["status"], SANDBOX)
    assert "schedule: window " in text.out and "Asia/Tokyo" in text.out, text.out
    assert "NVIDIA L4 x1" in text.out
    listed = run_cli(["state", "list"], SANDBOX)
    assert "NVIDIA L4 x1" in listed.out
    import json

    pod = json.loads(run_cli(["status", "--format", "json"], SANDBOX).out)["stacks"][0]["pods"][0]
    state_pod = json.loads(run_cli(["state", "list", "--format", "json"], SANDBOX).out)["pods"][0]
    assert (pod["gpu"], pod["gpu_count"]) == (state_pod["gpu"], state_pod["gpu_count"])
    assert pod["schedule"]["timezone"] == "Asia/Tokyo"
    assert pod["schedule"]["next_change"]["at"].endswith("+09:00")


def test_idle_since_in_status_comes_from_the_recorded_samples() -> None:
    from gitops_runner.config.model import IdleStop
    from gitops_runner.plan.statefile import IdleSample

    spec = PodSpec.__new__(PodSpec)
    object.__setattr__(spec, "schedule", None)
    object.__setattr__(spec, "status", "running")
    object.__setattr__(spec, "idle_stop", IdleStop(gpu_util_below=5, minutes=60))
    record = PodRecord.__new__(PodRecord)
    object.__setattr__(record, "idle_stopped", None)
    object.__setattr__(record, "idle_since", "2026-12-07T08:00:00Z")  # an older version's stamp
    object.__setattr__(record, "idle_samples", (IdleSample("2026-12-07T09:00:00Z", (40.0,)),
                                                IdleSample("2026-12-07T09:15:00Z", (1.0,))))
    life = lifecycle(spec, record, datetime(2026, 12, 7, 9, 20, tzinfo=UTC))
    assert life["idle_since"] == "2026-12-07T09:15:00Z"
    assert lifecycle_lines(life) == [
        "idle: every GPU below the idle_stop threshold since 2026-12-07T09:15:00Z"]
