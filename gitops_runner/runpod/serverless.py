"""RunPod v2 serverless: endpoints (/v2/serverless) and their templates (/v2/templates).

Creates are never retried on a 5xx or timeout (the resource may exist): the caller
re-lists and adopts by name and markers, as for pods.
"""

from __future__ import annotations

from typing import Any

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import CreateOutcomeUnknownError, TransientError

Body = dict[str, Any]


class ServerlessApi:
    def __init__(self, client: RunPodClient) -> None:
        self.client = client

    # -- templates --------------------------------------------------------------
    def list_templates(self) -> list[Body]:
        return _items(self.client.request("GET", "/v2/templates"), "templates")

    def create_template(self, body: Body) -> Body:
        return self._create("/v2/templates", body)

    def update_template(self, template_id: str, body: Body) -> Body:
        return dict(self.client.request("PATCH", f"/v2/templates/{template_id}", body))

    def delete_template(self, template_id: str) -> None:
        self.client.request("DELETE", f"/v2/templates/{template_id}")

    # -- endpoints -------------------------------------------------------------
    def list_endpoints(self) -> list[Body]:
        return _items(self.client.request("GET", "/v2/serverless"), "endpoints")

    def get_endpoint(self, endpoint_id: str) -> Body:
        return dict(self.client.request("GET", f"/v2/serverless/{endpoint_id}"))

    def create_endpoint(self, body: Body) -> Body:
        return self._create("/v2/serverless", body)

    def update_endpoint(self, endpoint_id: str, body: Body) -> Body:
        return dict(self.client.request("PATCH", f"/v2/serverless/{endpoint_id}", body))

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.client.request("DELETE", f"/v2/serverless/{endpoint_id}")

    def workers(self, endpoint_id: str) -> Body:
        return dict(self.client.request("GET", f"/v2/serverless/{endpoint_id}/workers"))

    def releases(self, endpoint_id: str) -> Body:
        return dict(self.client.request("GET", f"/v2/serverless/{endpoint_id}/releases"))

    def _create(self, path: str, body: Body) -> Body:
        try:
            made = self.client.request("POST", path, body, retry_transient=False)
        except TransientError as exc:
            raise CreateOutcomeUnknownError(f"{exc} — it may or may not have been created",
                                            exc.status, exc.detail) from None
        if not isinstance(made, dict) or not made.get("id"):
            raise CreateOutcomeUnknownError(f"RunPod POST {path} answered success without an "
                                            "id — it may or may not have been created")
        return dict(made)


def _items(body: Any, key: str) -> list[Body]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise TransientError(f"RunPod returned no {key!r} list; is RUNPOD_API_URL the v2 API?")
    return [dict(i) for i in items if isinstance(i, dict)]
