"""init: write the starter deploy file and the example workflows."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from gitops_runner import __version__, release
from gitops_runner.config.naming import valid_name
from gitops_runner.config.starter import precommit_config, starter_deploy
from gitops_runner.engine.session import Session
from gitops_runner.errors import UsageError

WORKFLOWS = ("plan.yml", "preview.yml", "apply.yml", "drift.yml")
# How the examples name gitops-runner's own action; init writes the release's commit.
EXAMPLE_USES = f"{release.ACTION_REPOSITORY}@v0"


def workflow_text(name: str) -> str:
    # Installed wheels carry the examples inside the package; a source checkout
    # keeps the one canonical copy in examples/workflows.
    packaged = resources.files("gitops_runner").joinpath(f"templates/workflows/{name}")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "examples" / "workflows" / name).read_text(
        encoding="utf-8")


def pinned_workflow(name: str, commit: str = "") -> str:
    """The example with gitops-runner's own action pinned by the release commit (a tag
    can be moved; a commit cannot). Without one (a source checkout), the tag stays."""
    commit = commit or release.ACTION_COMMIT
    text = workflow_text(name)
    if not commit:
        return text
    return text.replace(f"uses: {EXAMPLE_USES}",
                        f"uses: {release.ACTION_REPOSITORY}@{commit} # v{__version__}")


BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


def _check_backend(backend: str, bucket: str, table: str) -> None:
    if backend == "local":
        if bucket or table:
            raise UsageError("--bucket and --table go with --backend s3")
        return
    if not BUCKET.match(bucket):
        raise UsageError(f"--backend s3 needs --bucket, an S3 bucket name (got {bucket!r})")
    if not TABLE.match(table):
        raise UsageError(f"--backend s3 needs --table, a DynamoDB table name for the lock "
                         f"(got {table!r})")


def write_starter(directory: str, project: str, force: bool, backend: str = "local",
                  bucket: str = "", table: str = "") -> list[str]:
    if not valid_name(project):
        raise UsageError(f"{project!r} is not a valid project name: lowercase letters, digits "
                         "and '-', starting with a letter, at most 32 characters")
    _check_backend(backend, bucket, table)
    files = {os.path.join(directory, "deploy", "dev.yaml"): starter_deploy(project, bucket, table)}
    for name in WORKFLOWS:
        files[os.path.join(directory, ".github", "workflows", f"gitops-runner-{name}")] = \
            pinned_workflow(name)
    hook = os.path.join(directory, ".pre-commit-config.yaml")
    if not os.path.exists(hook):  # a repository's own pre-commit config is never replaced
        files[hook] = precommit_config(__version__)
    existing = [path for path in files if os.path.exists(path)]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")
    for path, text in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return list(files)


def run(session: Session, directory: str, project: str, force: bool, backend: str = "local",
        bucket: str = "", table: str = "") -> int:
    written = write_starter(directory, project, force, backend, bucket, table)
    for path in written:
        session.out.report(f"wrote {path}")
    if not any(path.endswith(".pre-commit-config.yaml") for path in written):
        session.out.report("note: .pre-commit-config.yaml exists, left as is; to validate deploy "
                           "files on commit, add:\n" + precommit_config(__version__)
                           .split("repos:\n", 1)[1].rstrip())
    if not release.ACTION_COMMIT:
        session.out.report(f"note: this build carries no release commit, so the workflows use "
                           f"{EXAMPLE_USES} (a movable tag); pin it by the commit of the "
                           "release you use")
    session.out.report("next: gitops-runner validate && gitops-runner plan --sandbox")
    if backend == "local":
        session.out.report("note: the workflows apply only with state in S3 (local state would "
                           "vanish with the runner); run init --backend s3 --bucket B --table T "
                           "--force when you set them up")
    return 0
