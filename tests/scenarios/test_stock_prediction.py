"""CONTRACT §13 in the sandbox: the plan predicts where pods land and how many find no
stock, and apply's outcome matches it (the simulator's stock is what creates consume)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from gitops_runner.runpod.simulator import catalog
from tests.helpers import SANDBOX, deploy_repo, run_cli

DEPLOY = """\
version: 1
project: {{name: shop, environment: dev}}
state: {{path: .state}}
guardrails: {{allow_delete: true}}
pods:
  - name: web
    replicas: {replicas}
    gpu: {{type: NVIDIA L4}}
    runtime: {{image: "img:1"}}
"""


def _stock(repo: Path, per_dc: dict[str, int]) -> None:
    """The sandbox account's L4 stock per data center (SECURE), before any command."""
    capacity = catalog.default_capacity()
    for dc, _ in catalog.DATA_CENTERS:
        capacity[catalog.capacity_key("NVIDIA L4", dc, "SECURE")] = per_dc.get(dc, 0)
    path = repo / ".state" / "sandbox" / "runpod.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"pods": [], "capacity": capacity}))


def _landed(repo: Path) -> dict[str, tuple[str, str]]:
    """Logical pod -> (GPU, data center) of the sandbox account's live pods."""
    world = json.loads((repo / ".state" / "sandbox" / "runpod.json").read_text())
    return {p["env"]["GITOPS_RUNNER_POD"]: (p["gpu_id"], p["data_center"])
            for p in world["pods"] if not p["terminated"]}


def test_stack_larger_than_stock_is_predicted_and_apply_meets_the_prediction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = deploy_repo(tmp_path, monkeypatch, DEPLOY.format(replicas=12))
    # 8 free GPUs read as MEDIUM, 1 as LOW: 9 pods can land, 3 cannot.
    _stock(repo, {"EU-RO-1": 8, "US-TX-3": 1})
    text = run_cli(["plan", "--detailed-exitcode"], SANDBOX)
    assert text.code == 2, text.err
    warning = ("3 of 12 new pods asking for NVIDIA L4 (or their fallbacks) have no stock now "
               "on RunPod's catalog")
    assert f"Warning: {warning}" in text.out
    assert text.out.count("[likely EU-RO-1 on NVIDIA L4 (stock MEDIUM)]") == 8
    assert text.out.count("[likely US-TX-3 on NVIDIA L4 (stock LOW)]") == 1
    assert text.out.count("[no stock now on any candidate]") == 3
    markdown = run_cli(["plan", "--format", "markdown"], SANDBOX)
    assert f"> [!WARNING]\n> {warning}" in markdown.out
    (data,) = json.loads(run_cli(["plan", "--format", "json"], SANDBOX).out)["stacks"]
    assert any(w.startswith(warning) for w in data["warnings"])
    predicted = {p["pod"]: p["data_center"] for p in data["placements"]}
    assert sum(dc is None for dc in predicted.values()) == 3

    applied = run_cli(["apply", "--auto-approve", "--max-attempts", "1", "--format", "json"],
                      SANDBOX)
    assert applied.code == 1
    (stack,) = json.loads(applied.out)["stacks"]
    failed = stack["failed"]
    # Nothing else competes: as many pods land in each data center as predicted (which
    # replica gets which slot depends on the order parallel creates reach RunPod), and
    # as many fail, for stock.
    landed = _landed(repo)
    assert Counter(dc for _, dc in landed.values()) == Counter(
        dc for dc in predicted.values() if dc is not None) == {"EU-RO-1": 8, "US-TX-3": 1}
    assert len(failed) == 3 and not {p["pod"] for p in failed} & set(landed)
    # The realistic sandbox refuses L4 in words no client can match ("sold out"): the
    # catalog read after the refusal is what tells stock from a bad request.
    assert all("no stock on any candidate (NVIDIA L4): RunPod's catalog shows none of them "
               "in stock now, so this was stock, not the request" in p["detail"] for p in failed)


def test_likely_data_center_is_where_a_lone_pod_lands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_repo(tmp_path, monkeypatch, DEPLOY.format(replicas=1))
    plan = run_cli(["plan"], SANDBOX)
    assert "[likely EU-RO-1 on NVIDIA L4 (stock HIGH)]" in plan.out
    assert "no stock now" not in plan.out
    applied = run_cli(["apply", "--auto-approve", "--format", "json"], SANDBOX)
    assert applied.code == 0, applied.err
    assert _landed(tmp_path) == {"web": ("NVIDIA L4", "EU-RO-1")}
    # The stock it took shows in the catalog: 63 free GPUs read as MEDIUM now.
    gpus = json.loads(run_cli(["gpus", "--format", "json"], SANDBOX).out)
    l4 = {g["id"]: g for g in gpus["gpus"]}["NVIDIA L4"]
    assert l4["data_centers"][0] == {"id": "EU-RO-1", "availability": "MEDIUM"}
