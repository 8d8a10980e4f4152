"""Semantic checks of the lifecycle fields (CONTRACT §11): status, schedule, idle_stop.

Run beside the schema checks (a pod they cannot walk is skipped); each problem points at the offending value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitops_runner.config.errors import Problem
from gitops_runner.config.windows import WindowError, check_windows, timezone
from gitops_runner.config.yaml_loader import LoadedYaml, Path


def lifecycle_problems(doc: LoadedYaml) -> list[Problem]:
    problems: list[Problem] = []

    def at(path: Path, message: str, key: bool = False) -> None:
        line, col = doc.positions.of_key(path) if key else doc.positions.of_value(path)
        problems.append(Problem(doc.file, line, col, message))

    for i, pod in enumerate(doc.data["pods"]):
        base: Path = ("pods", i)
        name = f"pods[{i}]"
        try:
            _check_schedule(at, base, name, pod.get("schedule"))
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            continue  # schema-invalid: the schema problems say what to fix
        if pod.get("status") == "stopped":
            for kind in ("schedule", "idle_stop"):
                if kind in pod:
                    at((*base, kind), f"{name}.{kind}: the pod is declared stopped, so its "
                                      f"{kind} would never take effect; remove one of them",
                       key=True)
    return problems


def _check_schedule(at: Callable[[Path, str], None], base: Path, name: str,
                    schedule: dict[str, Any] | None) -> None:
    if schedule is None:
        return
    try:
        timezone(schedule["timezone"])
    except WindowError as exc:
        at((*base, "schedule", "timezone"), f"{name}.schedule.timezone: {exc}")
    for j, message in check_windows(schedule["running"]):
        at((*base, "schedule", "running", j), f"{name}.schedule.running[{j}]: {message}")
