"""Network volumes in the simulated account: `/v2/network-volumes` CRUD and the data-center
pinning of pods that mount one.

Sources:
- The v2 spec (openapi-v2.json, createNetworkVolume / updateNetworkVolume): create needs
  `name`, `size` (10-4096 GB) and `dataCenter`; `type` is optional and immutable; names need
  not be unique; PATCH changes only what it is given, and "`size` may only increase;
  attempts to reduce size will be rejected" (400). DELETE answers 204.
- RUNPOD.md §8b and §8c: a network volume lives in one data center, Secure Cloud only, and
  pins every pod that mounts it there. RunPod gives no distinct error for a create that
  asks for another data center: its placement fails the way a capacity miss does (a 400
  with the "no longer any instances" wording, RUNPOD.md §1.7), which is the cautious
  reading — a client cannot tell it from a sold-out GPU and must narrow its candidates
  itself. An unknown volume id: 404 (RUNPOD.md §8c, "probably 404, uncertain").
"""

from __future__ import annotations

import re
import shlex
import uuid
from typing import Any

from gitops_runner.runpod.simulator.model import Response, problem
from gitops_runner.runpod.simulator.spec import runpod_errors

# The spec: "When omitted, the volume is provisioned using the requested data center's
# default (primary) storage tier"; the simulator's data centers all default to STANDARD.
DEFAULT_TYPE = "STANDARD"


def list_volumes(volumes: dict[str, dict[str, Any]]) -> Response:
    return 200, {"networkVolumes": [dict(v) for v in volumes.values()]}


def get_volume(volumes: dict[str, dict[str, Any]], volume_id: str) -> Response:
    vol = volumes.get(volume_id)
    return (200, dict(vol)) if vol else problem(404, "network volume not found")


def create_volume(volumes: dict[str, dict[str, Any]], body: Any,
                  data_centers: list[str]) -> Response:
    errors = runpod_errors("CreateNetworkVolumeRequest", body)
    if errors:
        return problem(422, "Request validation failed.", errors)
    if body["dataCenter"] not in data_centers:
        return problem(400, f"data center {body['dataCenter']} does not offer network volumes")
    vol = {"id": uuid.uuid4().hex[:10], "name": body["name"], "size": body["size"],
           "dataCenter": body["dataCenter"], "type": body.get("type", DEFAULT_TYPE)}
    volumes[vol["id"]] = vol
    return 201, dict(vol)


def update_volume(volumes: dict[str, dict[str, Any]], volume_id: str, body: Any) -> Response:
    vol = volumes.get(volume_id)
    if vol is None:
        return problem(404, "network volume not found")
    errors = runpod_errors("UpdateNetworkVolumeRequest", body)
    if errors:
        return problem(422, "Request validation failed.", errors)
    if "size" in body and body["size"] < vol["size"]:
        return problem(400, f"network volume size cannot be reduced (from {vol['size']} GB to "
                            f"{body['size']} GB)")
    vol.update({k: body[k] for k in ("name", "size") if k in body})
    return 200, dict(vol)


def delete_volume(volumes: dict[str, dict[str, Any]], volume_id: str) -> Response:
    if volumes.pop(volume_id, None) is None:
        return problem(404, "network volume not found")
    return 204, None


def pinned_data_center(volumes: dict[str, dict[str, Any]], body: dict[str, Any],
                       capacity_detail: str) -> tuple[str | None, Response | None]:
    """The data center a create body's network mount pins it to, or the error RunPod gives:
    (None, None) when it mounts no network volume."""
    network = (body.get("mounts") or {}).get("network") or []
    if not network:
        return None, None
    vol = volumes.get(network[0].get("volumeId", ""))
    if vol is None:
        return None, problem(404, "network volume not found")
    if body.get("cloud", "SECURE") != "SECURE":
        return None, problem(400, "network volumes are only available in Secure Cloud")
    wanted = body.get("dataCenterIds") or []
    if wanted and vol["dataCenter"] not in wanted:
        return None, problem(400, capacity_detail)
    return vol["dataCenter"], None


# -- model weights: downloaded at boot unless cached on the pod's network volume --------
# An assumption, stated (no RunPod figure exists): a pod pulls Hugging Face weights at
# `Settings.weights_gbps` GB/s into HF_HOME. The size is estimated from the repo name:
# "7B" -> 7e9 parameters x 2 bytes (fp16/bf16), a quarter of that for AWQ/GPTQ/int4.
# Weights on a network volume stay there (RUNPOD.md §4.2: a volume outlives its pods), so a
# later pod mounting the same volume with the same HF_HOME reads them locally.
_PARAMS = re.compile(r"(\d+(?:\.\d+)?)[bB](?![a-zA-Z])")
_QUANTISED = ("awq", "gptq", "int4", "4bit")


def weights_gb(repo: str) -> float:
    found = _PARAMS.findall(repo)
    if not found:
        return 0.0
    size = float(found[-1]) * 2
    return size / 4 if any(q in repo.lower() for q in _QUANTISED) else size


def served_repo(args: str) -> str | None:
    """The model a vLLM (`--model`) or TGI (`--model-id`) command line serves."""
    words = shlex.split(args or "")
    for flag in ("--model", "--model-id"):
        if flag in words[:-1]:
            return words[words.index(flag) + 1]
    return None


def download_seconds(gbps: float, body: dict[str, Any], cache: dict[str, list[str]]) -> float:
    """Seconds a new pod spends downloading its weights; marks them cached on its volume
    (the download finishes before the pod serves, so later pods find them)."""
    repo = served_repo(body.get("args") or "")
    if not gbps or repo is None:
        return 0.0
    network = (body.get("mounts") or {}).get("network") or []
    hf_home = (body.get("env") or {}).get("HF_HOME", "")
    volume_id = str(network[0].get("volumeId")) if network else ""
    on_volume = bool(volume_id) and hf_home.startswith(network[0].get("path", "//"))
    if on_volume and repo in cache.get(volume_id, []):
        return 0.0
    if on_volume:
        cache.setdefault(volume_id, []).append(repo)
    return weights_gb(repo) / gbps
