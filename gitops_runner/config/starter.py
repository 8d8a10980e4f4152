"""The starter deploy file `init` writes."""

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
# yaml-language-server: $schema=https://raw.githubusercontent.com/gitops-runner/gitops-runner/main/schemas/deploy.schema.json
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
    return STARTER_DEPLOY.format(project=project, state=state)
