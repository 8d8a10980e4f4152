"""kill -9 an apply at several points; the next apply converges with exactly the
desired pods, none duplicated, none leaked."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # kill -9 of real processes

DEPLOY = """\
version: 1
project: {name: crash, environment: test}
state: {path: .state}
guardrails: {allow_delete: true}
pods:
  - name: api
    replicas: 3
    gpu: {type: NVIDIA GeForce RTX 4090, count: COUNT}
    ports: ["8000/http"]
    runtime: {image: "img:1"}
    health_check: {path: /, port: 8000, timeout_seconds: 30, interval_seconds: 1}
"""


def cli(repo: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GITOPS_RUNNER_SANDBOX_BOOT_SECONDS": "0.6", "PYTHONPATH":
           str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen([sys.executable, "-m", "gitops_runner", *args, "--sandbox",
                             "-c", "deploy.yaml"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def managed_pods(repo: Path) -> dict[str, dict[str, object]]:
    world = json.loads((repo / ".state" / "sandbox" / "runpod.json").read_text())
    return {p["id"]: p for p in world["pods"] if not p["terminated"]
            and p["env"].get("GITOPS_RUNNER_STACK") == "crash/test"}


def state_ids(repo: Path) -> set[str]:
    doc = json.loads((repo / ".state" / "crash" / "test.json").read_text())
    return {r["id"] for r in doc["pods"].values()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_crash_kill_9_then_next_apply_converges(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    (tmp_path / "deploy.yaml").write_text(DEPLOY.replace("COUNT", "1"))
    for round_ in range(3):
        if round_ == 2:  # a replace round: GPU count change
            (tmp_path / "deploy.yaml").write_text(DEPLOY.replace("COUNT", "2"))
        proc = cli(tmp_path, "apply", "--auto-approve")
        time.sleep(rng.uniform(0.4, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        finish = cli(tmp_path, "apply", "--auto-approve")
        out, err = finish.communicate(timeout=120)
        assert finish.returncode == 0, err.decode()
        pods = managed_pods(tmp_path)
        assert len(pods) == 3, f"round {round_}: {sorted(pods)}"
        assert set(pods) == state_ids(tmp_path), "every managed pod is in state, no leak"
        names = sorted(str(p["env"]["GITOPS_RUNNER_POD"]) for p in pods.values())  # type: ignore[index]
        assert names == ["api", "api-1", "api-2"]
        expected_count = 2 if round_ == 2 else 1
        assert {p["gpu_count"] for p in pods.values()} == {expected_count}
    plan = cli(tmp_path, "plan", "--detailed-exitcode")
    plan.communicate(timeout=60)
    assert plan.returncode == 0
