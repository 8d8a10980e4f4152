"""Load, validate and model deploy files. No network, no environment reads."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import replace

from gitops_runner.config.errors import ConfigError, Problem
from gitops_runner.config.model import Stack
from gitops_runner.errors import UsageError

__all__ = ["ConfigError", "Problem", "Stack", "check_files", "deploy_files", "load_stacks",
           "parse_stack"]


def deploy_files(given: Sequence[str]) -> list[str]:
    """The files a command works on: those given, else deploy.yaml, else deploy/*.y*ml."""
    if given:
        return list(given)
    if os.path.exists("deploy.yaml"):
        return ["deploy.yaml"]
    found = sorted(glob.glob("deploy/*.yaml") + glob.glob("deploy/*.yml"))
    if not found:
        raise UsageError("no deploy file found: pass -c FILE, or create deploy.yaml or "
                         "deploy/*.yaml (gitops-runner init writes a starter)")
    return found


def parse_stack(file: str, raw: bytes) -> tuple[Stack | None, list[Problem]]:
    """Parse and check one file's bytes: the stack, or every problem found."""
    # Imported here so commands that never read a deploy file start fast.
    from gitops_runner.config.build import build_stack
    from gitops_runner.config.lifecycle import lifecycle_problems
    from gitops_runner.config.schema import schema_problems
    from gitops_runner.config.semantic import semantic_problems
    from gitops_runner.config.semantic_endpoints import endpoint_problems
    from gitops_runner.config.semantic_volumes import volume_problems
    from gitops_runner.config.yaml_loader import load_yaml_text

    doc, problems = load_yaml_text(file, raw)
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [Problem(file, 1, 1, "the top level must be a mapping with version, "
                                          "project and pods")]
    problems = schema_problems(doc)
    # Semantic problems are reported with the schema's, wherever the data can be walked
    # (each check skips what it cannot); one that cannot walk at all is dropped.
    for check in (semantic_problems, lifecycle_problems, volume_problems, endpoint_problems):
        try:
            problems += check(doc)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            if not problems:
                raise
    if problems:
        # Two schema rules can say the same thing (a name's pattern and its "no --").
        unique = dict.fromkeys(problems)
        return None, sorted(unique, key=lambda p: (p.line, p.col))
    stack = build_stack(file, doc.data)
    # Where each `moved` entry is: whether it moves a pod or a volume, only state tells.
    where = {m["from"]: "{}:{}:{}".format(file, *doc.positions.of_value(("moved", i, "to")))
             for i, m in enumerate(doc.data.get("moved", []))}
    return replace(stack, moved_at=where), []


def check_files(files: Sequence[str]) -> tuple[list[Stack], list[Problem]]:
    stacks: list[Stack] = []
    problems: list[Problem] = []
    for file in files:
        try:
            with open(file, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            problems.append(Problem(file, 1, 1, f"cannot read file: {exc.strerror}"))
            continue
        stack, found = parse_stack(file, raw)
        problems.extend(found)
        if stack is not None:
            stacks.append(stack)
    seen: dict[str, str] = {}
    for stack in stacks:
        if stack.name in seen:
            problems.append(Problem(stack.file, 1, 1, f"stack {stack.name} is also declared in "
                                                      f"{seen[stack.name]}; one file per stack"))
        seen.setdefault(stack.name, stack.file)
    # The order ConfigError gives (plan, apply...), so validate and plan list alike.
    return stacks, sorted(problems, key=lambda p: (p.file, p.line, p.col, p.message))


def load_stacks(files: Sequence[str]) -> list[Stack]:
    stacks, problems = check_files(files)
    if problems:
        raise ConfigError(problems)
    return stacks
