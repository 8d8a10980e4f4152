"""`gitops-runner sandbox`: changes behind the tool's back that drift, plan and the
RunPod client then meet, in the sandbox only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from gitops_runner.runpod.simulator import controls
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from tests.helpers import SANDBOX, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: ops, environment: dev}
state: {path: .state}
pods:
  - name: web
    gpu: {type: NVIDIA L4}
    runtime: {image: "img:1"}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return deploy_repo(tmp_path, monkeypatch, DEPLOY)


def _pod_id(repo: Path) -> str:
    world = json.loads((repo / ".state" / "sandbox" / "runpod.json").read_text())
    (pod,) = [p for p in world["pods"] if not p["terminated"]]
    return str(pod["id"])


def test_a_pod_stopped_by_the_control_is_drift(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    assert run_cli(["drift", "--format", "json"], SANDBOX).code == 0
    pod_id = _pod_id(repo)
    stopped = run_cli(["sandbox", "stop", pod_id], SANDBOX)
    assert stopped.code == 0, stopped.err
    assert f"pod {pod_id} (ops-dev-web) stopped behind gitops-runner's back" in stopped.out
    drift = run_cli(["drift", "--format", "json"], SANDBOX)
    assert drift.code == 2
    (finding,) = json.loads(drift.out)["stacks"][0]["findings"]
    assert (finding["pod"], finding["class"]) == ("web", "drift")
    assert "EXITED" in json.dumps(finding)
    # A stopped pod cannot be stopped again, as on RunPod (409).
    again = run_cli(["sandbox", "stop", "ops-dev-web"], SANDBOX)
    assert again.code == 1 and "RunPod would refuse to stop pod" in again.err


def test_a_pod_terminated_by_the_control_is_gone_for_plan(repo: Path) -> None:
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    pod_id = _pod_id(repo)
    assert run_cli(["sandbox", "terminate", "ops-dev-web"], SANDBOX).code == 0
    plan = run_cli(["plan"], SANDBOX)
    assert f"pod {pod_id} recorded in state is gone from RunPod" in plan.out
    missing = run_cli(["sandbox", "stop", pod_id], SANDBOX)
    assert missing.code == 1 and "is no live pod in the sandbox" in missing.err


def test_stock_set_to_none_makes_plan_predict_no_stock(repo: Path) -> None:
    assert "[likely EU-RO-1 on NVIDIA L4 (stock HIGH)]" in run_cli(["plan"], SANDBOX).out
    none = run_cli(["sandbox", "stock", "NVIDIA L4", "all", "none"], SANDBOX)
    assert none.code == 0, none.err
    assert "0 free GPU(s), reads as NONE" in none.out
    plan = run_cli(["plan"], SANDBOX)
    assert "[no stock now on any candidate]" in plan.out
    assert "1 of 1 new pods asking for NVIDIA L4" in plan.out
    # One data center back at LOW: the plan now expects the pod there.
    assert run_cli(["sandbox", "stock", "NVIDIA L4", "US-TX-3", "low"], SANDBOX).code == 0
    assert "[likely US-TX-3 on NVIDIA L4 (stock LOW)]" in run_cli(["plan"], SANDBOX).out
    status = run_cli(["sandbox", "status"], SANDBOX)
    assert "NVIDIA L4  US-TX-3  SECURE  1" in status.out
    assert run_cli(["sandbox", "reset"], SANDBOX).code == 0
    assert "Stock set (differs from the default 64 free GPUs):\n  none" in \
        run_cli(["sandbox", "status"], SANDBOX).out


def test_bad_stock_arguments_say_what_to_give(repo: Path) -> None:
    unknown = run_cli(["sandbox", "stock", "NVIDIA L5", "all", "none"], SANDBOX)
    assert unknown.code == 1 and "unknown GPU 'NVIDIA L5'" in unknown.err
    place = run_cli(["sandbox", "stock", "NVIDIA L4", "MARS-1", "low"], SANDBOX)
    assert place.code == 1 and "unknown data center 'MARS-1'; one of EU-RO-1" in place.err
    level = run_cli(["sandbox", "stock", "NVIDIA L4", "all", "lots"], SANDBOX)
    assert level.code == 1 and "neither a level (none, low, medium, high)" in level.err


def test_rate_limit_is_kept_until_the_next_run_meets_it(repo: Path) -> None:
    limited = run_cli(["sandbox", "rate-limit", "7", "--times", "2"], SANDBOX)
    assert limited.code == 0, limited.err
    status = run_cli(["sandbox", "status"], SANDBOX).out
    assert "429 on * /v2/* for the next 2 request(s), Retry-After: 7" in status
    as_json = json.loads(run_cli(["sandbox", "status", "--format", "json"], SANDBOX).out)
    assert as_json["faults"] == [{"route": "* /v2/*", "kind": "429", "times": 2,
                                  "retry_after_seconds": 7}]
    # The plan waits out both 429s (virtual time) and goes on; the limit is used up.
    assert run_cli(["plan"], SANDBOX).code == 0
    assert "Pending rate limits and faults:\n  none" in run_cli(["sandbox", "status"],
                                                                  SANDBOX).out


def test_rate_limit_answers_429_with_retry_after_on_any_route() -> None:
    world = World()
    controls.rate_limit(world, 30, times=1)
    with Simulator(world) as sim:
        auth = {"Authorization": "Bearer k"}
        first = requests.get(f"{sim.url}/v2/catalog/gpus", headers=auth, timeout=5)
        second = requests.get(f"{sim.url}/v2/pods", headers=auth, timeout=5)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "30")
    assert first.json()["detail"] == "rate limit exceeded for the minute window"
    assert second.status_code == 200


def test_controls_refuse_outside_the_sandbox(repo: Path) -> None:
    result = run_cli(["sandbox", "stop", "abc"], {"RUNPOD_API_KEY": "rk_x"})
    assert result.code == 1
    assert ("sandbox controls change only the built-in RunPod simulator, never RunPod: "
            "add --sandbox (or set GITOPS_RUNNER_SANDBOX=1)") in result.err
    assert not (repo / ".state").exists()
