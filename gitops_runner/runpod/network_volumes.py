"""RunPod v2 network volumes (/v2/network-volumes, CONTRACT §14), as methods of the client.

A create is never retried on a 5xx or timeout: like a pod, the volume may exist already,
and the caller finds it again by name and data center.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitops_runner.runpod.errors import CreateOutcomeUnknownError, TransientError


class NetworkVolumesApi:
    # RunPodClient.request: one v2 call with the client's retries and pacing.
    request: Callable[..., Any]

    def list_network_volumes(self) -> list[dict[str, Any]]:
        body = self.request("GET", "/v2/network-volumes")
        vols = body.get("networkVolumes") if isinstance(body, dict) else None
        if not isinstance(vols, list):
            raise TransientError("RunPod GET /v2/network-volumes returned no 'networkVolumes' "
                                 "list")
        return [v for v in vols if isinstance(v, dict)]

    def get_network_volume(self, volume_id: str) -> dict[str, Any]:
        vol = self.request("GET", f"/v2/network-volumes/{volume_id}")
        if not isinstance(vol, dict) or vol.get("id") != volume_id:
            raise TransientError(f"RunPod GET /v2/network-volumes/{volume_id} returned no "
                                 "such volume")
        return dict(vol)

    def create_network_volume(self, body: dict[str, Any]) -> dict[str, Any]:
        """Never retried on 5xx or timeouts: like a pod, the volume may exist already."""
        try:
            vol = self.request("POST", "/v2/network-volumes", body, retry_transient=False)
        except TransientError as exc:
            raise CreateOutcomeUnknownError(
                f"{exc} — the network volume may or may not have been created", exc.status,
                exc.detail) from None
        if not isinstance(vol, dict) or not isinstance(vol.get("id"), str) or not vol["id"]:
            raise CreateOutcomeUnknownError("RunPod POST /v2/network-volumes answered success "
                                            "without a volume id")
        return dict(vol)

    def update_network_volume(self, volume_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PATCH", f"/v2/network-volumes/{volume_id}", body))

    def delete_network_volume(self, volume_id: str) -> None:
        self.request("DELETE", f"/v2/network-volumes/{volume_id}")
