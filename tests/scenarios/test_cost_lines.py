"""Cost lines count pods as they will be after apply (CONTRACT §4, §11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SANDBOX, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {name: cost}
state: {path: .state}
guardrails: {max_monthly_cost: 100}
pods:
  - name: web
    replicas: 2
    gpu: {type: NVIDIA L4, fallback: [NVIDIA RTX A5000, NVIDIA A100 80GB PCIe]}
    ports: ["8000/http"]
    runtime: {image: "python:3.12-slim", args: ["python3", "-m", "http.server", "8000"]}
  - name: batch
    replicas: 2
    gpu: {type: NVIDIA L4}
    runtime: {image: "python:3.12-slim", args: ["sleep", "infinity"]}
    status: stopped
"""


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    deploy_repo(tmp_path, monkeypatch, DEPLOY.replace("max_monthly_cost: 100", "max_pods: 9"))
    assert run_cli(["apply", "--auto-approve"], SANDBOX).code == 0
    (tmp_path / "deploy.yaml").write_text(DEPLOY.replace("max_monthly_cost: 100", "max_pods: 9"))
    return tmp_path


def _plan(*extra: str) -> dict[str, object]:
    result = run_cli(["plan", "--format", "json", *extra], SANDBOX)
    return json.loads(result.out)["stacks"][0]  # type: ignore[no-any-return]


def test_args_update_of_stopped_pods_costs_nothing_per_hour(applied: Path) -> None:
    deploy = applied / "deploy.yaml"
    deploy.write_text(deploy.read_text().replace('"infinity"]', '"9999"]'))
    text = run_cli(["plan"], SANDBOX).out
    assert "Cost: $0.98/h -> $0.98/h (±$0.00/h)" in text, text
    assert "$0.00/h (stopped after)" in text and "+$" not in text


def test_state_only_change_costs_nothing_and_is_no_rollout(applied: Path) -> None:
    deploy = applied / "deploy.yaml"
    deploy.write_text(deploy.read_text().replace("[NVIDIA RTX A5000, NVIDIA A100 80GB PCIe]",
                                                 "[NVIDIA A100 80GB PCIe, NVIDIA RTX A5000]"))
    result = run_cli(["plan", "--detailed-exitcode"], SANDBOX)
    # A state-only change is a reviewed change (CONTRACT §4): exit 2 is right (§6).
    assert result.code == 2
    assert "0 to update" in result.out and "2 to record in state only" in result.out
    assert "Rollout of web" not in result.out and "(±$0.00/h)" in result.out


def test_monthly_before_comes_from_state_not_the_power_state(applied: Path) -> None:
    first, second = _plan(), _plan()
    assert first["cost"]["monthly_before"] == second["cost"]["monthly_before"] > 0  # type: ignore[index]
    world_path = applied / ".state" / "sandbox" / "runpod.json"
    world = json.loads(world_path.read_text())
    for pod in world["pods"]:
        pod["stopped"] = True  # stopped behind the tool's back
    world_path.write_text(json.dumps(world))
    assert _plan()["cost"]["monthly_before"] == first["cost"]["monthly_before"]  # type: ignore[index]


def test_monthly_line_and_guardrail_say_which_gpu_they_price(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY)
    text = run_cli(["plan"], SANDBOX).out
    assert "Monthly (30 days, GPU + storage, each pod at its current GPU, or its first choice)" \
        in text
    assert "max_monthly_cost: worst case over fallback GPUs" in text
