"""Opt-in check against the real RunPod API, like Terraform's TF_ACC.

RUNPOD_LIVE_TESTS=1 RUNPOD_API_KEY=... python -m pytest tests/test_live.py

Creates the cheapest single-GPU pod the catalog offers (refusing anything over the
cap), waits for it, re-plans (no changes expected) and destroys it in `finally`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import run_cli

CAP_PER_HOUR = float(os.environ.get("RUNPOD_LIVE_MAX_HOURLY", "0.60"))

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("RUNPOD_LIVE_TESTS") != "1"
                       or not os.environ.get("RUNPOD_API_KEY"),
                       reason="live RunPod check: set RUNPOD_LIVE_TESTS=1 and RUNPOD_API_KEY"),
]


def test_live_create_replan_destroy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitops_runner.runpod.client import DEFAULT_API_URL, RunPodClient

    env = dict(os.environ)
    client = RunPodClient(env.get("RUNPOD_API_URL", DEFAULT_API_URL), env["RUNPOD_API_KEY"])
    offers = sorted((g["price"]["secure"], g["id"]) for g in client.list_gpu_types()
                    if g.get("secure") and isinstance(g.get("price", {}).get("secure"), float))
    price, gpu = offers[0]
    assert price <= CAP_PER_HOUR, f"cheapest GPU costs ${price}/h, over the ${CAP_PER_HOUR} cap"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy.yaml").write_text(f"""\
version: 1
project: {{name: gr-live, environment: check}}
guardrails: {{max_hourly_cost: {CAP_PER_HOUR}, max_pods: 1, allow_delete: true}}
pods:
  - name: probe
    gpu: {{type: {gpu}}}
    ports: ["80/http"]
    disk_gb: 10
    runtime: {{image: "nginx:1.27-alpine"}}
    health_check: {{path: /, port: 80, timeout_seconds: 900, interval_seconds: 10}}
""")
    try:
        applied = run_cli(["apply", "--auto-approve"], env)
        assert applied.code == 0, applied.err
        replan = run_cli(["plan", "--detailed-exitcode"], env)
        assert replan.code == 0, replan.out + replan.err
    finally:
        destroyed = run_cli(["destroy", "--auto-approve"], env)
        assert destroyed.code == 0, destroyed.err
