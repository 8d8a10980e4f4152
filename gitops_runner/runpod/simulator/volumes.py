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
