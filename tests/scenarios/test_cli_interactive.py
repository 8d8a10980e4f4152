"""apply and destroy ask on a terminal; plan makes two RunPod requests whatever N."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitops_runner.engine.observe import plan_stacks
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from tests.helpers import make_session
from tests.plan.factories import stack_from_yaml

pytestmark = pytest.mark.slow  # a real process on a pty

DEPLOY = """\
version: 1
project: {name: tty, environment: dev}
state: {path: .state}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
"""


def run_on_terminal(cwd: Path, args: list[str], answer: str) -> tuple[int, str]:
    master, slave = pty.openpty()
    env = {**os.environ, "GITOPS_RUNNER_SANDBOX": "1", "GITOPS_RUNNER_SANDBOX_BOOT_SECONDS": "0.2",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "gitops_runner", *args], cwd=cwd, env=env,
                            stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.time() + 60
    while b"[y/N]" not in seen and time.time() < deadline:
        seen += os.read(master, 4096)
    os.write(master, answer.encode() + b"\n")
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    code = proc.wait(timeout=60)
    os.close(master)
    return code, seen.decode(errors="replace")


def test_interactive_apply_asks_and_obeys(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOY)
    code, text = run_on_terminal(tmp_path, ["apply"], "n")
    assert "+ web  create" in text and "Apply these changes? [y/N]" in text
    assert code == 1 and "0 created" in text and "cancelled at the prompt" in text
    code, text = run_on_terminal(tmp_path, ["apply"], "y")
    assert code == 0 and "1 created" in text
    code, text = run_on_terminal(tmp_path, ["destroy"], "y")
    assert code == 0 and "1 pod(s) terminated" in text


def test_plan_makes_two_requests_whatever_the_number_of_pods(fast_sim: Simulator,
                                                             tmp_path: Path) -> None:
    for replicas in (1, 40):
        stack = stack_from_yaml(f"pods:\n  - name: api\n    replicas: {replicas}\n"
                                "    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n",
                                f"state: {{path: {tmp_path}}}\n")
        client = RunPodClient(fast_sim.url, "k")
        plan_stacks(make_session(), [stack], client, {})
        assert client.request_count == 2
