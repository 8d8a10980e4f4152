"""`init`: write the starter deploy file (and, later, example workflows)."""

from __future__ import annotations

import os
import re

from gitops_runner.errors import UsageError
from gitops_runner.starter import STARTER_DEPLOY

NAME = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")


def write_starter(directory: str, project: str, force: bool) -> list[str]:
    if not NAME.match(project) or "--" in project:
        raise UsageError(f"{project!r} is not a valid project name: lowercase letters, digits "
                         "and '-', starting with a letter, at most 32 characters")
    path = os.path.join(directory, "deploy", "dev.yaml")
    if os.path.exists(path) and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(STARTER_DEPLOY.format(project=project))
    return [path]
