"""Lifecycle fields in the deploy file: status, schedule, idle_stop, max_monthly_cost."""

from __future__ import annotations

from gitops_runner.config import parse_stack
from gitops_runner.config.windows import Schedule

FILE = """\
version: 1
project: {name: demo}
guardrails: {max_monthly_cost: 400}
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
    schedule:
      timezone: Europe/Paris
      running: ["Mon-Fri 08:00-20:00", "Fri 22:00-02:00"]
    idle_stop: {gpu_util_below: 5, minutes: 60}
  - name: batch
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
    status: stopped
"""


def test_lifecycle_fields_build_the_model() -> None:
    stack, problems = parse_stack("deploy/prod.yaml", FILE.encode())
    assert problems == [] and stack is not None
    api, batch = stack.pods
    assert api.schedule == Schedule("Europe/Paris", ("Mon-Fri 08:00-20:00", "Fri 22:00-02:00"))
    assert api.idle_stop is not None and (api.idle_stop.gpu_util_below, api.idle_stop.minutes) \
        == (5, 60)
    assert (api.status, batch.status) == ("running", "stopped")
    assert stack.guardrails.max_monthly_cost == 400


def test_lifecycle_errors_carry_line_and_column() -> None:
    bad = (FILE.replace("Europe/Paris", "Europe/Pariss")
           .replace('"Fri 22:00-02:00"', '"Fri 22:00-26:00"')
           .replace("status: stopped", "status: stopped\n    idle_stop: {gpu_util_below: 5, "
                                       "minutes: 60}")
           .replace("minutes: 60}\n  - name: batch", "minutes: 0}\n  - name: batch"))
    _, problems = parse_stack("deploy/prod.yaml", bad.encode())
    assert [str(p) for p in problems] == [
        "deploy/prod.yaml:9:17: pods[0].schedule.timezone: 'Europe/Pariss' is not an IANA "
        "timezone (e.g. Europe/Paris, America/New_York, UTC)",
        "deploy/prod.yaml:10:40: pods[0].schedule.running[1]: '26:00' is not a time of day "
        "(00:00 to 23:59, or 24:00 as an end)",
        "deploy/prod.yaml:11:45: pods[0].idle_stop.minutes: must be >= 1 (got 0)",
        "deploy/prod.yaml:16:5: pods[1].idle_stop: the pod is declared stopped, so its "
        "idle_stop would never take effect; remove one of them",
    ]


def test_lifecycle_unknown_status_is_a_schema_error() -> None:
    _, problems = parse_stack("d.yaml", FILE.replace("status: stopped", "status: paused").encode())
    assert [p.message for p in problems] == [
        'pods[1].status: "paused" is not one of "running", "stopped"']
