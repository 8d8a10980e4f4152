"""How often the scheduled workflow runs `schedule` (CONTRACT §8, §11). Pure.

Idle stop is judged from at least 3 samples spanning `idle_stop.minutes`, one sample per
`schedule` run, so a stack that uses idle stop needs the workflow every 15 minutes, not
hourly. `init` writes the drift workflow through `drift_workflow` (the example's
hourly cron, or every 15 minutes); `validate` warns when the repository's
drift workflow runs less often (`cadence_warning`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gitops_runner.config.model import Stack

IDLE_STOP_CRON = "*/15 * * * *"
IDLE_STOP_MINUTES = 15
# The workflow files `init` writes the scheduled loop into (and a hand-renamed .yaml).
DRIFT_WORKFLOWS = (".github/workflows/gitops-runner-drift.yml",
                   ".github/workflows/gitops-runner-drift.yaml")
_CRON_LINE = re.compile(r"""^(\s*-?\s*cron:\s*)(["']?)([^"'#\n]+?)\2(\s*(?:#.*)?)$""",
                        re.MULTILINE)
DAY = 24 * 60


def uses_idle_stop(stacks: Sequence[Stack]) -> bool:
    return any(pod.idle_stop is not None for stack in stacks for pod in stack.pods)


def with_cron(workflow: str, cron: str) -> str:
    """The workflow with its schedule's cron lines set to `cron` (the rest as written)."""
    return _CRON_LINE.sub(lambda m: f"{m.group(1)}\"{cron}\"{m.group(4)}", workflow)


def drift_workflow(workflow: str, idle_stop: bool) -> str:
    """The example drift workflow as `init` writes it: as it is (hourly), or every 15 minutes
    when a stack uses idle stop."""
    if not idle_stop:
        return workflow
    return with_cron(workflow, IDLE_STOP_CRON).replace(
        "# gitops-runner: hourly drift check;",
        "# gitops-runner: drift check every 15 minutes (a stack uses idle_stop);", 1)


def workflow_crons(workflow: str) -> list[str]:
    return [m.group(3).strip() for m in _CRON_LINE.finditer(workflow)]


def _field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first, last = (int(x) for x in span.split("-", 1))
        else:
            first = int(span)
            last = high if step_text else first
        if step < 1 or not low <= first <= last <= high:
            raise ValueError(part)
        values.update(range(first, last + 1, step))
    return values


def longest_gap(crons: Sequence[str]) -> int | None:
    """The longest wait, in minutes, between two runs within a day (None: no cron, or one
    that cannot be read). Day-of-month, month and weekday fields are left out: a workflow
    that skips weekends chose to."""
    firings: set[int] = set()
    try:
        for cron in crons:
            fields = cron.split()
            if len(fields) != 5:
                return None
            firings |= {h * 60 + m for h in _field(fields[1], 0, 23)
                        for m in _field(fields[0], 0, 59)}
    except ValueError:
        return None
    if not firings:
        return None
    times = sorted(firings)
    return max(b - a for a, b in zip(times, [*times[1:], times[0] + DAY], strict=True))


def cadence_warning(workflow_path: str, workflow: str) -> str | None:
    """Why the drift workflow is too slow for idle stop, or None."""
    crons = workflow_crons(workflow)
    if not crons:
        return (f"pods use idle_stop, but {workflow_path} has no schedule trigger, so "
                f"`schedule` never samples them; add `- cron: \"{IDLE_STOP_CRON}\"` under "
                "`on: schedule:`")
    gap = longest_gap(crons)
    if gap is None or gap <= IDLE_STOP_MINUTES:
        return None
    return (f"pods use idle_stop, but {workflow_path} runs `schedule` only every {gap} "
            f"minutes ({', '.join(crons)}); idle is judged from 3 samples, one per run, so "
            f"idle pods are stopped late; set its cron to \"{IDLE_STOP_CRON}\"")
