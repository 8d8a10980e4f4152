"""`init`: write the starter deploy file (and, later, example workflows)."""

from __future__ import annotations

import os

from gitops_runner.errors import UsageError
from gitops_runner.starter import STARTER_DEPLOY


def write_starter(directory: str, project: str, force: bool) -> list[str]:
    path = os.path.join(directory, "deploy", "dev.yaml")
    if os.path.exists(path) and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(STARTER_DEPLOY.format(project=project))
    return [path]
