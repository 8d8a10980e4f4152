from __future__ import annotations

import time
from pathlib import Path

import boto3
import pytest

from gitops_runner.state.base import LockInfo, RunIdentity
from gitops_runner.state.s3 import S3Locker
from tests.fakes.github import fake_github
from tests.helpers import run_cli
from tests.state.servers import unique

DEPLOY = """\
version: 1
project: {name: fu, environment: prod}
state: {backend: s3, bucket: fu-state, lock: {backend: s3}}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
"""


def test_force_unlock_if_run_finished(tmp_path: Path, moto_endpoint: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    bucket = unique("fu-state")  # the moto server is the whole run's
    (tmp_path / "deploy.yaml").write_text(DEPLOY.replace("bucket: fu-state", f"bucket: {bucket}"))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    held = LockInfo.new("apply", "fu/prod", RunIdentity(
        "ci-bot", commit="abc123", run_url="https://github.com/acme/models/actions/runs/77"))
    S3Locker(s3, bucket, "gitops-runner/fu/prod.json", "fu/prod").lock(held, time.time())
    with fake_github() as (api, gh):
        gh.runs["77"] = {"status": "in_progress"}
        env = {"GITHUB_API_URL": api, "GITHUB_TOKEN": "t"}
        shown = run_cli(["lock", "show"], env)
        assert f"ID: {held.id}" in shown.out and "Who: ci-bot" in shown.out
        assert "RunURL: https://github.com/acme/models/actions/runs/77" in shown.out
        refused = run_cli(["force-unlock", held.id, "--if-run-finished"], env)
        assert refused.code == 1 and "run 77 is in_progress" in refused.err
        wrong = run_cli(["force-unlock", "other-id"], env)
        assert wrong.code == 1
        gh.runs["77"]["status"] = "completed"
        done = run_cli(["force-unlock", held.id, "--if-run-finished"], env)
        assert done.code == 0 and f"lock {held.id} removed" in done.out
        assert run_cli(["lock", "list"], env).out == "fu/prod: not locked\n"
