"""The starter deploy file `init` writes."""

STARTER_DEPLOY = """\
# yaml-language-server: $schema=https://raw.githubusercontent.com/gitops-runner/gitops-runner/main/schemas/deploy.schema.json
# A gitops-runner stack: one project + environment of RunPod GPU pods.
# Try it offline:  gitops-runner plan --sandbox   then   gitops-runner apply --sandbox --auto-approve
version: 1
project:
  name: {project}
  environment: dev
  cloud_type: SECURE          # SECURE or COMMUNITY
state:
  backend: local              # teams: backend s3 with a DynamoDB lock (see README)
  path: .gitops-runner        # relative to this file
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
