from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import requests_mock

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "refresh_gpu_catalog.py"
spec = importlib.util.spec_from_file_location("refresh_gpu_catalog", SCRIPT)
assert spec and spec.loader
refresh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(refresh)

OLD = {"gpus": [
    {"id": "NVIDIA L4", "name": "L4", "memory": 24, "price": {"secure": 0.49, "community": 0.43}},
    {"id": "NVIDIA Gone", "name": "Gone", "memory": 8, "price": {"secure": 1, "community": 1}}]}
LIVE = [{"id": "NVIDIA L4", "name": "L4", "pool": "ADA_24", "manufacturer": "NVIDIA",
         "memory": 24, "secure": True, "community": True,
         "price": {"secure": 0.39, "community": 0.29}, "maxCount": {"secure": 8, "community": 8},
         "availability": "HIGH"},
        {"id": "NVIDIA New", "name": "New", "pool": None, "manufacturer": "NVIDIA", "memory": 32,
         "secure": True, "community": False, "price": {"secure": 0.9, "community": 0},
         "maxCount": {"secure": 4, "community": 0}}, "junk"]


def test_refresh_keeps_known_prices_and_old_ids_unless_asked() -> None:
    doc = refresh.refreshed(OLD, LIVE, prices=False, prune=False, today="2026-12-04")
    by_id = {g["id"]: g for g in doc["gpus"]}
    assert list(by_id) == ["NVIDIA L4", "NVIDIA New", "NVIDIA Gone"]
    assert by_id["NVIDIA L4"]["price"] == {"secure": 0.49, "community": 0.43}
    assert by_id["NVIDIA L4"]["pool"] == "ADA_24" and "availability" not in by_id["NVIDIA L4"]
    live = refresh.refreshed(OLD, LIVE, prices=True, prune=True, today="2026-12-04")
    assert [(g["id"], g["price"]["secure"]) for g in live["gpus"]] == [
        ("NVIDIA L4", 0.39), ("NVIDIA New", 0.9)]


def test_refresh_main_writes_the_snapshot_from_one_request(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "gpu-catalog.json"
    target.write_text(json.dumps(OLD))
    monkeypatch.setattr(refresh, "SNAPSHOT", target)
    monkeypatch.setattr(refresh, "ROOT", tmp_path)
    monkeypatch.setenv("RUNPOD_API_KEY", "rk")
    monkeypatch.setenv("RUNPOD_API_URL", "https://api.example.test")
    monkeypatch.setattr("sys.argv", ["refresh", "--prune"])
    with requests_mock.Mocker() as m:
        m.get("https://api.example.test/v2/catalog/gpus", json={"gpus": LIVE})
        assert refresh.main() == 0
        assert m.call_count == 1
    assert [g["id"] for g in json.loads(target.read_text())["gpus"]] == ["NVIDIA L4", "NVIDIA New"]
