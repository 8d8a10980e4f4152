"""init: write the starter deploy file and the example workflows."""

from __future__ import annotations

import glob
import os
import re
import subprocess
from importlib import resources
from pathlib import Path

from gitops_runner import __version__, release
from gitops_runner.config import check_files
from gitops_runner.config.cadence import drift_workflow, uses_idle_stop
from gitops_runner.config.naming import valid_name
from gitops_runner.config.starter import (
    DEFAULT_BRANCH,
    gitignore,
    precommit_config,
    starter_deploy,
    workflow_for_branch,
)
from gitops_runner.engine.session import Session
from gitops_runner.errors import UsageError

WORKFLOWS = ("plan.yml", "preview.yml", "apply.yml", "drift.yml")
# How the examples name gitops-runner's own action; init writes the release's commit.
ACTION_REPOSITORY = "gitops-runner/gitops-runner"
EXAMPLE_USES = f"{ACTION_REPOSITORY}@v0"


def workflow_text(name: str) -> str:
    # Installed wheels carry the examples inside the package; a source checkout
    # keeps the one canonical copy in examples/workflows.
    packaged = resources.files("gitops_runner").joinpath(f"templates/workflows/{name}")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "examples" / "workflows" / name).read_text(
        encoding="utf-8")


def pinned_workflow(name: str, branch: str = DEFAULT_BRANCH, commit: str = "") -> str:
    """The example for `branch`, gitops-runner's own action pinned by the release commit
    (a tag can be moved; a commit cannot). Without one (a source checkout), the tag stays."""
    commit = commit or release.COMMIT
    text = workflow_for_branch(workflow_text(name), branch)
    if not commit:
        return text
    return text.replace(f"uses: {EXAMPLE_USES}",
                        f"uses: {ACTION_REPOSITORY}@{commit} # v{__version__}")


def _git(directory: str, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def default_branch(directory: str) -> str:
    """The branch the apply workflow applies from: the remote's default branch
    (origin/HEAD), else the branch checked out, else main."""
    remote_head = _git(directory, "symbolic-ref", "--quiet", "--short",
                       "refs/remotes/origin/HEAD")
    if remote_head.startswith("origin/") and len(remote_head) > len("origin/"):
        return remote_head[len("origin/"):]
    return _git(directory, "symbolic-ref", "--quiet", "--short", "HEAD") or DEFAULT_BRANCH


def _gitignore_text(path: str) -> str | None:
    """The .gitignore with our lines added, or None when it already has them."""
    existing = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            existing = handle.read()
    text = gitignore(existing)
    return None if text == existing and existing else text


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


def _idle_stop_elsewhere(directory: str, starter: str) -> bool:
    """Whether a deploy file already in the repository (not the starter init writes) uses
    idle_stop: then the drift workflow runs every 15 minutes (CONTRACT §8, §11)."""
    found = [os.path.join(directory, "deploy.yaml"),
             *glob.glob(os.path.join(glob.escape(directory), "deploy", "*.yaml")),
             *glob.glob(os.path.join(glob.escape(directory), "deploy", "*.yml"))]
    paths = sorted(p for p in found
                   if os.path.isfile(p) and os.path.abspath(p) != os.path.abspath(starter))
    stacks, _ = check_files(paths)  # a file with problems is validate's business
    return uses_idle_stop(stacks)


def write_starter(directory: str, project: str, force: bool, backend: str = "local",
                  bucket: str = "", table: str = "") -> list[str]:
    if not valid_name(project):
        raise UsageError(f"{project!r} is not a valid project name: lowercase letters, digits "
                         "and '-', starting with a letter, at most 32 characters")
    _check_backend(backend, bucket, table)
    starter = os.path.join(directory, "deploy", "dev.yaml")
    files = {starter: starter_deploy(project, bucket, table, release.COMMIT)}
    branch = default_branch(directory)
    idle_stop = _idle_stop_elsewhere(directory, starter)
    for name in WORKFLOWS:
        text = pinned_workflow(name, branch)
        if name == "drift.yml":
            text = drift_workflow(text, idle_stop)
        files[os.path.join(directory, ".github", "workflows", f"gitops-runner-{name}")] = text
    hook = os.path.join(directory, ".pre-commit-config.yaml")
    if not os.path.exists(hook):  # a repository's own pre-commit config is never replaced
        files[hook] = precommit_config(__version__, release.COMMIT)
    existing = [path for path in files if os.path.exists(path)]
    # The .gitignore is added to, never replaced, so it is no reason to ask for --force.
    ignore = os.path.join(directory, ".gitignore")
    ignore_text = _gitignore_text(ignore)
    if ignore_text is not None:
        files[ignore] = ignore_text
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
                           "files on commit, add:\n" + precommit_config(__version__, release.COMMIT)
                           .split("repos:\n", 1)[1].rstrip())
    if not release.COMMIT:
        session.out.report(f"note: this build carries no release commit, so the workflows use "
                           f"{EXAMPLE_USES} (a movable tag); pin it by the commit of the "
                           "release you use")
    session.out.report("next: gitops-runner validate && gitops-runner plan --sandbox")
    if backend == "local":
        session.out.report("note: the workflows apply only with state in S3 (local state would "
                           "vanish with the runner); run init --backend s3 --bucket B --table T "
                           "--force when you set them up")
    return 0
