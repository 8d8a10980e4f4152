"""How often the scheduled workflow runs `schedule` when a stack uses idle stop (CONTRACT §8,
§11): the cron init writes, and the gap validate warns about."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.config.cadence import (
    IDLE_STOP_CRON,
    cadence_warning,
    drift_workflow,
    longest_gap,
    with_cron,
    workflow_crons,
)

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "workflows" / "drift.yml").read_text()


@pytest.mark.parametrize(("crons", "gap"), [
    (["17 * * * *"], 60),
    (["*/15 * * * *"], 15),
    (["0,15,30,45 * * * *"], 15),
    (["5-35/10 * * * *"], 30),  # 35 -> 05 the next hour
    (["*/15 8-19 * * 1-5"], 12 * 60 + 15),  # nights: 19:45 -> 08:00
    (["0 * * * *", "30 * * * *"], 30),
    (["*/5 * * * *"], 5),
    (["0 */2 * * *"], 120),
    ([], None),
    (["@hourly"], None),
    (["61 * * * *"], None),
    (["*/0 * * * *"], None),
])
def test_longest_gap_between_runs_in_a_day(crons: list[str], gap: int | None) -> None:
    assert longest_gap(crons) == gap


def test_drift_workflow_runs_every_15_minutes_only_when_a_stack_uses_idle_stop() -> None:
    assert drift_workflow(EXAMPLE, idle_stop=False) == EXAMPLE
    fast = drift_workflow(EXAMPLE, idle_stop=True)
    assert workflow_crons(EXAMPLE) == ["17 * * * *"]
    assert workflow_crons(fast) == [IDLE_STOP_CRON]
    assert "hourly" not in fast.splitlines()[0]
    # Nothing but the cron and the comment naming it changes.
    changed = [(a, b) for a, b in zip(EXAMPLE.splitlines(), fast.splitlines(), strict=True)
               if a != b]
    assert len(changed) == 2, changed


def test_with_cron_keeps_indentation_quotes_and_comments() -> None:
    text = "on:\n  schedule:\n    - cron: '0 * * * *'  # hourly\n    - cron: 30 3 * * *\n"
    assert with_cron(text, "*/15 * * * *") == (
        'on:\n  schedule:\n    - cron: "*/15 * * * *"  # hourly\n'
        '    - cron: "*/15 * * * *"\n')


def test_cadence_warning_names_the_workflow_its_gap_and_the_fix() -> None:
    message = cadence_warning(".github/workflows/gitops-runner-drift.yml", EXAMPLE)
    assert message is not None
    assert "runs `schedule` only every 60 minutes (17 * * * *)" in message
    assert 'set its cron to "*/15 * * * *"' in message
    fast = drift_workflow(EXAMPLE, idle_stop=True)
    assert cadence_warning("drift.yml", fast) is None
    assert cadence_warning("drift.yml", "on:\n  workflow_dispatch:\n") == (
        "pods use idle_stop, but drift.yml has no schedule trigger, so `schedule` never "
        'samples them; add `- cron: "*/15 * * * *"` under `on: schedule:`')
    # A cron it cannot read is not second-guessed.
    assert cadence_warning("drift.yml", "on:\n  schedule:\n    - cron: '@hourly'\n") is None
