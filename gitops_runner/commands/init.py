"""init: write the starter deploy file and the example workflows."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from gitops_runner.config.naming import valid_name
from gitops_runner.config.starter import STARTER_DEPLOY
from gitops_runner.engine.session import Session
from gitops_runner.errors import UsageError

WORKFLOWS = ("plan.yml", "apply.yml", "drift.yml")


def workflow_text(name: str) -> str:
    # Installed wheels carry the examples inside the package; a source checkout
    # keeps the one canonical copy in examples/workflows.
    packaged = resources.files("gitops_runner").joinpath(f"templates/workflows/{name}")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "examples" / "workflows" / name).read_text(
        encoding="utf-8")


def write_starter(directory: str, project: str, force: bool) -> list[str]:
    if not valid_name(project):
        raise UsageError(f"{project!r} is not a valid project name: lowercase letters, digits "
                         "and '-', starting with a letter, at most 32 characters")
    files = {os.path.join(directory, "deploy", "dev.yaml"): STARTER_DEPLOY.format(project=project)}
    for name in WORKFLOWS:
        files[os.path.join(directory, ".github", "workflows", f"gitops-runner-{name}")] = \
            workflow_text(name)
    existing = [path for path in files if os.path.exists(path)]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")
    for path, text in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return list(files)


def run(session: Session, directory: str, project: str, force: bool) -> int:
    for path in write_starter(directory, project, force):
        session.out.report(f"wrote {path}")
    session.out.report("next: gitops-runner validate && gitops-runner plan --sandbox")
    return 0
