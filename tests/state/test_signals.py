"""SIGTERM or ^C during apply releases the stack's lock before exiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.state.servers import unique

pytestmark = pytest.mark.slow  # signals to real processes

DEPLOY = """\
version: 1
project: {name: sig, environment: prod}
state:
  backend: s3
  bucket: sig-state
  lock: {backend: s3}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_releases_lock(tmp_path: Path, moto_endpoint: str, signum: int) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = unique("sig-state")  # the moto server is the whole run's
    s3.create_bucket(Bucket=bucket)
    # Each case its own stack: the state of the other case's killed apply is not ours.
    project = f"sig{int(signum)}"
    (tmp_path / "deploy.yaml").write_text(DEPLOY.replace("name: sig,", f"name: {project},")
                                          .replace("bucket: sig-state", f"bucket: {bucket}"))
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "GITOPS_RUNNER_SANDBOX": "1",
           "GITOPS_RUNNER_SANDBOX_BOOT_SECONDS": "60",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "gitops_runner", "apply", "--auto-approve"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    lock_key = f"gitops-runner/{project}/prod.json.lock"
    deadline = time.time() + 30
    while time.time() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        if lock_key in keys:
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("apply never took the lock: " + proc.communicate()[1].decode())
    time.sleep(0.5)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert lock_key not in keys
    assert "interrupted" in err.decode()
