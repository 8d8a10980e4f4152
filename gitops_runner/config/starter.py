"""The starter files `init` writes: the deploy file and the pre-commit hook.

The repository's slug and default branch live here, once: the starter's
`yaml-language-server` schema URL, the pre-commit config and the README use them
(tests/repo/test_readme.py holds the README to them)."""

import json
import re

REPOSITORY = "gitops-runner/gitops-runner"
DEFAULT_BRANCH = "main"


def schema_url(ref: str = DEFAULT_BRANCH) -> str:
    """The deploy schema as published at `ref` (a branch or a commit) of the repository."""
    return f"https://raw.githubusercontent.com/{REPOSITORY}/{ref}/schemas/deploy.schema.json"


# Where the schema is published, and so its `$id` (tests/config/test_schema.py holds them
# together). The starter's modeline names the release's own copy instead: a schema that
# follows the default branch would flag fields the installed version does not know yet.
SCHEMA_URL = schema_url()
HOOK_ID = "gitops-runner-validate"
# What the hook runs on: the deploy files `validate` finds by default.
HOOK_FILES = r"^(deploy\.yaml|deploy/.*\.ya?ml)$"

LOCAL_STATE = """\
state:
  backend: local              # for trying it out; in GitHub Actions apply refuses it (the
  path: .gitops-runner        # state would vanish with the runner): init --backend s3"""

S3_STATE = """\
state:
  backend: s3                 # state in S3 (turn on bucket versioning), locked in DynamoDB
  bucket: {bucket}
  lock: {{backend: dynamodb, table: {table}}}   # partition key LockID (string)"""

STARTER_DEPLOY = """\
# yaml-language-server: $schema={schema_url}
# A gitops-runner stack: one project + environment of RunPod GPU pods.
# Try it offline:  gitops-runner plan --sandbox   then   gitops-runner apply --sandbox --auto-approve
version: 1
project:
  name: {project}
  environment: dev
  cloud_type: SECURE          # SECURE or COMMUNITY
{state}
guardrails:
  max_hourly_cost: 2.0        # USD/h for the whole stack, worst case over fallback GPUs
  max_pods: 2
  allow_delete: false         # plans that terminate or replace pods are refused until true
  allow_data_loss: false      # plans that destroy a pod volume are refused until true
pods:
  - name: web
    gpu:
      type: NVIDIA GeForce RTX 4090
      count: 1
      fallback: [NVIDIA RTX A5000]   # tried when the 4090 has no capacity
    ports: ["8000/http"]
    disk_gb: 20
    runtime:
      image: python:3.12-slim
      args: ["python3", "-m", "http.server", "8000"]
      env:
        LOG_LEVEL: info
    health_check: {{path: /, port: 8000, timeout_seconds: 600, interval_seconds: 10}}
    tags: {{team: ml}}
"""


def starter_deploy(project: str, bucket: str = "", table: str = "", commit: str = "") -> str:
    """The starter for `project`: S3 state with a DynamoDB lock when a bucket is given,
    else local state. Its modeline names the schema at the release `commit` (stamped by the
    release workflow, like every pin); a development build has none and follows the
    default branch, as its pre-commit rev does."""
    state = S3_STATE.format(bucket=bucket, table=table) if bucket else LOCAL_STATE
    return STARTER_DEPLOY.format(project=project, state=state,
                                 schema_url=schema_url(commit) if commit else SCHEMA_URL)


def precommit_rev(version: str, commit: str) -> str:
    """The `rev:` line's value: the release's commit SHA (stamped by the release workflow)
    with its version in a comment, as every pin (CONTRACT §8). A development build has no
    release to name: it follows the default branch until `pre-commit autoupdate --freeze`
    pins a commit (a tag like v0.1.0 exists only once that release is cut)."""
    if commit:
        return f"{commit}  # v{version}"
    return (f"{DEFAULT_BRANCH}  # development build {version}: "
            "run `pre-commit autoupdate --freeze` to pin a commit")


def precommit_config(version: str, commit: str = "") -> str:
    """A .pre-commit-config.yaml running the hook this repository publishes
    (.pre-commit-hooks.yaml) at the release `version` (`commit`, when stamped)."""
    return (f"# pre-commit install  # then every commit touching a deploy file is validated\n"
            f"repos:\n"
            f"  - repo: https://github.com/{REPOSITORY}\n"
            f"    rev: {precommit_rev(version, commit)}\n"
            f"    hooks:\n"
            f"      - id: {HOOK_ID}\n")


# What `git add .` must never take: local state and its lock and backup live in the state
# directory (`state.path`, default `.gitops-runner` next to the deploy file), and the
# sandbox keeps its simulated RunPod there too.
GITIGNORE_HEADER = "# gitops-runner: local state, its lock and the sandbox (never commit them)"
GITIGNORE_LINES = ("deploy/.gitops-runner/", ".gitops-runner/")


def gitignore(existing: str = "") -> str:
    """`existing` .gitignore text with gitops-runner's lines added (each once)."""
    have = {line.strip() for line in existing.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in have]
    if not missing:
        return existing
    prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
    return prefix + "\n".join([GITIGNORE_HEADER, *missing]) + "\n"


# The example workflows name the branch they apply from; init writes the repository's own.
_PUSH_BRANCHES = re.compile(r"^(\s+branches: )\[main\]$", re.MULTILINE)


def workflow_for_branch(text: str, branch: str) -> str:
    """An example workflow whose push trigger names `branch` instead of main."""
    if branch == DEFAULT_BRANCH:
        return text
    text = _PUSH_BRANCHES.sub(lambda m: f"{m.group(1)}[{_yaml_scalar(branch)}]", text)
    return text.replace("merged to main.", f"merged to {branch}.")


def _yaml_scalar(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", value) else json.dumps(value)
