"""8 processes race `apply` on one stack: S3 state on SeaweedFS, the lock on DynamoDB
Local. Each racer wants a different image, so two racers holding the lock at once
would collide on the conditional state write and fail; all must succeed, one after
another, with a strictly increasing serial, ending with exactly the desired pods."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.state.servers import unique
from tests.state.test_remote import new_table

# Real processes racing for one lock, on the real servers (started once per run).
pytestmark = pytest.mark.slow

RACERS = 8
DEPLOY = """\
version: 1
project: {{name: race, environment: prod}}
state:
  backend: s3
  bucket: {bucket}
  prefix: runpod
  lock: {{backend: dynamodb, table: {table}, wait_seconds: 300}}
pods:
  - name: api
    replicas: 3
    gpu: {{type: NVIDIA L4}}
    runtime: {{image: "img:{tag}"}}
"""


def test_race_eight_applies_one_stack(tmp_path: Path, seaweedfs_endpoint: str,
                                      dynamodb_local_endpoint: str) -> None:
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
             "region_name": "us-east-1"}
    s3 = boto3.client("s3", endpoint_url=seaweedfs_endpoint, **creds)
    bucket = unique("race-state")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    table = new_table(boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint, **creds))
    for i in range(RACERS):
        (tmp_path / f"deploy-{i}.yaml").write_text(DEPLOY.format(bucket=bucket, table=table,
                                                                 tag=i))
    env = {**os.environ, "AWS_ENDPOINT_URL_S3": seaweedfs_endpoint,
           "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint,
           "GITOPS_RUNNER_SANDBOX": "1", "GITOPS_RUNNER_SANDBOX_BOOT_SECONDS": "0.2",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [subprocess.Popen([sys.executable, "-m", "gitops_runner", "apply", "--auto-approve",
                               "-c", f"deploy-{i}.yaml"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(RACERS)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()

    key = "runpod/race/prod.json"
    doc = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    serials = [json.loads(s3.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])
                          ["Body"].read())["serial"]
               for v in reversed(versions)]  # S3 lists versions newest first
    assert serials == sorted(serials) and len(set(serials)) == len(serials)
    assert serials[-1] == doc["serial"]
    applies = [h for h in doc["history"] if h["operation"] == "apply"]
    assert len(applies) == RACERS and {h["result"] for h in applies} == {"converged"}

    world = json.loads((tmp_path / ".gitops-runner" / "sandbox" / "runpod.json").read_text())
    live = [p for p in world["pods"] if not p["terminated"]]
    assert sorted(p["name"] for p in live) == ["race-prod-api", "race-prod-api-1",
                                                "race-prod-api-2"]
    assert {p["id"] for p in live} == {r["id"] for r in doc["pods"].values()}
    assert len({p["image"] for p in live}) == 1
