"""The starter files `init` writes: the deploy file and the pre-commit hook.

The repository's slug and default branch live here, once: the starter's
`yaml-language-server` schema URL, the pre-commit config and the README use them
(tests/test_readme.py holds the README to them)."""

REPOSITORY = "gitops-runner/gitops-runner"
DEFAULT_BRANCH = "main"
SCHEMA_URL = (f"https://raw.githubusercontent.com/{REPOSITORY}/{DEFAULT_BRANCH}/"
              "schemas/deploy.schema.json")
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


def starter_deploy(project: str, bucket: str = "", table: str = "") -> str:
    """The starter for `project`: S3 state with a DynamoDB lock when a bucket is given,
    else local state."""
    state = S3_STATE.format(bucket=bucket, table=table) if bucket else LOCAL_STATE
    return STARTER_DEPLOY.format(project=project, state=state, schema_url=SCHEMA_URL)


def precommit_config(version: str) -> str:
    """A .pre-commit-config.yaml running the hook this repository publishes
    (.pre-commit-hooks.yaml) at the release `version`."""
    return (f"# pre-commit install  # then every commit touching a deploy file is validated\n"
            f"repos:\n"
            f"  - repo: https://github.com/{REPOSITORY}\n"
            f"    rev: v{version}\n"
            f"    hooks:\n"
            f"      - id: {HOOK_ID}\n")
