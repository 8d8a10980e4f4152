"""Refresh the packaged GPU catalog snapshot (gitops_runner/data/gpu-catalog.json) from
RunPod's live catalog, `GET /v2/catalog/gpus` (one request).

    RUNPOD_API_KEY=... python scripts/refresh_gpu_catalog.py [--prices] [--prune]

`validate` suggests ids from this snapshot and the sandbox sells these types, so:
- new ids are added and every known id takes RunPod's name, memory, clouds and maxCount;
- prices of ids already in the snapshot are kept unless --prices (the sandbox's prices,
  and the test figures built on them, change only when asked);
- ids RunPod no longer lists are kept unless --prune (a deploy file naming one should
  still get a suggestion, and the plan checks the live catalog anyway).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "gitops_runner" / "data" / "gpu-catalog.json"
KEYS = ("id", "name", "pool", "manufacturer", "memory", "secure", "community", "price",
        "maxCount")


def refreshed(old: dict[str, Any], live: list[dict[str, Any]], prices: bool, prune: bool,
              today: str) -> dict[str, Any]:
    """The new snapshot document from the old one and the live catalog's `gpus`."""
    before = {g["id"]: g for g in old.get("gpus", [])}
    gpus = []
    for raw in live:
        if not isinstance(raw, dict) or not raw.get("id"):
            continue
        entry = {k: raw.get(k) for k in KEYS}
        if not prices and raw["id"] in before:
            entry["price"] = before[raw["id"]]["price"]
        gpus.append(entry)
    listed = {g["id"] for g in gpus}
    if not prune:
        gpus += [g for gid, g in before.items() if gid not in listed]
    return {"source": "GET /v2/catalog/gpus via scripts/refresh_gpu_catalog.py"
                      + ("" if prices else " (prices of ids already present kept)"),
            "captured": today, "gpus": gpus}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prices", action="store_true", help="Take live prices for every id.")
    parser.add_argument("--prune", action="store_true", help="Drop ids RunPod no longer lists.")
    args = parser.parse_args()
    key = os.environ.get("RUNPOD_API_KEY")
    if not key:
        print("RUNPOD_API_KEY is not set", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    from gitops_runner.runpod.client import DEFAULT_API_URL, RunPodClient

    client = RunPodClient(os.environ.get("RUNPOD_API_URL") or DEFAULT_API_URL, key)
    live = client.list_gpu_types()
    old = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    doc = refreshed(old, live, args.prices, args.prune, datetime.now(UTC).date().isoformat())
    SNAPSHOT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"{SNAPSHOT.relative_to(ROOT)}: {len(doc['gpus'])} GPU types "
          f"({len(live)} listed by RunPod)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
