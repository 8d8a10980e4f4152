"""Checks of the `preview` block (CONTRACT §12) the schema cannot express.

The preview's pods are the stack's pods with `overrides` merged over each, so they are
checked as pods too; a problem the merge introduces is reported at `preview.overrides`.
"""

from __future__ import annotations

from typing import Any

from gitops_runner.config.errors import Problem
from gitops_runner.config.naming import logical_names, runpod_name, valid_name
from gitops_runner.config.preview import (
    MAX_PR_DIGITS,
    longest_preview_environment,
    looks_like_preview,
    merge_overrides,
)
from gitops_runner.config.yaml_loader import LoadedYaml, Path


def check_environment(doc: LoadedYaml, env_name: str) -> list[Problem]:
    """`{environment}-pr-{N}` names preview stacks: a main stack may not take such a name,
    or a pull request's preview could share its state and pods."""
    if not looks_like_preview(env_name):
        return []
    line, col = doc.positions.of_value(("project", "environment"))
    return [Problem(doc.file, line, col, f"project.environment: '{env_name}' ends like a "
                                         "preview stack's name ({environment}-pr-{number}), "
                                         "which is reserved for previews; rename it")]


def check_preview(doc: LoadedYaml, max_pod_name: int,
                  check_pod: Any) -> list[Problem]:
    """`check_pod(checker_path_base, pod, guardrails)` is semantic._check_pod, run through
    a checker that collects messages (passed in: semantic imports this module)."""
    data: dict[str, Any] = doc.data
    preview = data.get("preview")
    if preview is None:
        return []
    project = data["project"]
    env_name = project.get("environment", "dev")
    problems: list[Problem] = []

    def at(path: Path, message: str) -> None:
        line, col = doc.positions.of_key(path)
        problems.append(Problem(doc.file, line, col, message))

    longest = longest_preview_environment(env_name)
    if not looks_like_preview(env_name) and not valid_name(longest):
        at(("preview",), f"preview: previews of this stack are named '{env_name}-pr-"
                         f"{{number}}', too long for an environment name with pull request "
                         f"numbers of {MAX_PR_DIGITS} digits; shorten project.environment to "
                         f"{32 - len(longest) + len(env_name)} characters or fewer")
        return problems
    over = preview.get("overrides", {})
    where: Path = ("preview", "overrides") if "overrides" in preview else ("preview",)
    guard = data.get("guardrails", {})
    total_pods = total_gpus = 0
    for i, raw in enumerate(data["pods"]):
        merged = merge_overrides(raw, over)
        replicas = merged.get("replicas", 1)
        if not isinstance(replicas, int) or not 1 <= replicas <= 100:
            replicas = 1
        total_pods += replicas
        total_gpus += replicas * merged.get("gpu", {}).get("count", 1)
        for logical in logical_names(raw["name"], replicas):
            name = runpod_name(project["name"], longest, logical)
            if len(name) > max_pod_name:
                at(("preview",), f"preview: RunPod name '{name}' of pods[{i}]'s preview is "
                                 f"longer than {max_pod_name} characters; shorten the names")
                break
        if not over:
            continue
        before = set(check_pod(("pods", i), raw, guard))
        for message in check_pod(("pods", i), merged, guard):
            if message not in before:
                at(where, f"preview.overrides (merged over pods[{i}]): {message}")
    for key, total, what in (("max_pods", total_pods, "pods"), ("max_gpus", total_gpus, "GPUs")):
        if key in guard and total > guard[key]:
            at(where, f"preview.overrides: a preview would have {total} {what}, over "
                      f"guardrails.{key} ({guard[key]})")
    return problems
