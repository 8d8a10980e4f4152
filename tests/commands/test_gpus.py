from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests_mock

from tests.helpers import SANDBOX, run_cli

LIVE = {"gpus": [
    {"id": "NVIDIA GeForce RTX 4090", "name": "RTX 4090", "pool": "ADA_24",
     "manufacturer": "NVIDIA", "memory": 24, "secure": True, "community": True,
     "price": {"secure": 0.44, "community": 0.31}, "maxCount": {"secure": 8, "community": 4},
     "availability": "HIGH",
     "dataCenters": [{"id": "US-KS-2", "name": "US Kansas 2", "availability": "HIGH"}],
     "cudaVersions": [{"version": "12.8", "available": True},
                      {"version": "12.9", "available": False}]},
    {"id": "NVIDIA H100 NVL", "name": "H100 NVL", "pool": None, "manufacturer": "NVIDIA",
     "memory": 94, "secure": True, "community": False,
     "price": {"secure": 2.79, "community": 0}, "maxCount": {"secure": 8, "community": 0},
     "availability": "NONE"},
]}


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no deploy file: gpus needs none
    return tmp_path


def test_gpus_in_the_sandbox_lists_ids_prices_stock_and_cuda() -> None:
    result = run_cli(["gpus", "--min-memory", "140"], SANDBOX)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("ID") and "STOCK (SECURE, x1)" in lines[0]
    h200 = next(line for line in lines if line.startswith("NVIDIA H200  "))
    assert "141GB    3.99    3.59    8  HIGH: EU-RO-1 HIGH, US-TX-3 HIGH" in h200
    assert "CUDA 12.4 12.6 12.8" in lines[lines.index(h200) + 1]
    assert "NVIDIA A100 80GB PCIe" not in result.out  # 80 GB < 140
    assert lines[-1].startswith("4 GPU type(s); $/h per GPU; stock levels for SECURE pods")


def test_gpus_against_runpod_is_one_catalog_request_with_the_filters() -> None:
    env = {"RUNPOD_API_KEY": "rk_test", "RUNPOD_API_URL": "https://api.example.test"}
    with requests_mock.Mocker() as m:
        m.get("https://api.example.test/v2/catalog/gpus", json=LIVE)
        result = run_cli(["gpus", "--cloud", "COMMUNITY", "--count", "2", "--format", "json"],
                         env)
        assert m.call_count == 1
        assert m.request_history[0].qs == {"include": ["availability"], "product": ["pod"],
                                           "cloud": ["community"], "count": ["2"]}
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["cloud"], data["count"]) == ("COMMUNITY", 2)
    (rtx,) = data["gpus"]  # the H100 NVL is not offered on COMMUNITY
    assert rtx["price_per_hour"] == {"secure": 0.44, "community": 0.31}
    assert rtx["cuda_versions"] == [{"version": "12.8", "available": True},
                                    {"version": "12.9", "available": False}]
    text = None
    with requests_mock.Mocker() as m:
        m.get("https://api.example.test/v2/catalog/gpus", json=LIVE)
        text = run_cli(["gpus", "--available"], env).out
    assert "NVIDIA H100 NVL" not in text and "CUDA 12.8 (12.9)" in text


def test_gpus_with_nothing_matching_says_so() -> None:
    result = run_cli(["gpus", "--count", "64"], SANDBOX)
    assert (result.code, result.out.strip()) == (0, "No GPU type matches.")
