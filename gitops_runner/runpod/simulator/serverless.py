"""Serverless in the simulator: /v2/templates and /v2/serverless (+ /workers, /releases).

Sources (runpod-openapi-v2.json, v2 paths and schemas; RUNPOD.md "Serverless"):
- Creating an endpoint from `templateId` copies the template's container settings
  once; "later template edits do not affect the endpoint". The template stays bound
  to the endpoint: deleting the endpoint deletes it, and deleting a bound template
  is rejected (400).
- PATCH of `workers`, `scaling` or `timeout` reaches the autoscaler at once and starts
  no release; every other change (container settings, gpu, data centers, volumes,
  flashboot) makes a new release "that rolls out as workers cycle — in-flight workers
  keep the previous version until they are replaced" (PATCH /v2/serverless/{id}).
- Workers are listed with a status (IDLE, RUNNING, INITIALIZING, THROTTLED, UNHEALTHY),
  their `version` and `isStale`; /releases reports the rollout summary.
Rollouts, failures and stock are modelled in serverless_view.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.runpod.simulator.model import Response, problem
from gitops_runner.runpod.simulator.spec import runpod_errors

CONTAINER_KEYS = ("image", "args", "disk", "env", "ports", "registry")
# Applied promptly, no release (PATCH /v2/serverless/{id} description).
RESCALE_KEYS = ("workers", "scaling", "timeout")


@dataclass
class SimTemplate:
    id: str
    name: str
    image: str
    created_at: float
    args: str = ""
    disk: int = 20
    env: dict[str, str] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)
    registry: str | None = None
    serverless: bool = False
    allowed_cuda: list[str] = field(default_factory=list)
    start_ssh: bool = True
    start_jupyter: bool = True


@dataclass
class SimRelease:
    id: str
    version: int
    created_at: float
    container: dict[str, Any]
    diff: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SimEndpoint:
    id: str
    name: str
    type: str
    created_at: float
    config: dict[str, Any]  # gpu, workers, scaling, dataCenterIds, networkVolumes, ...
    container: dict[str, Any]
    template_id: str | None = None
    releases: list[SimRelease] = field(default_factory=list)
    demand: int = 0  # requests in flight: tests set it to see RUNNING workers

    @property
    def version(self) -> int:
        return self.releases[-1].version if self.releases else 1


def _gpu_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Pools and exclusions are one selection: sending `pools` without `excludedTypes`
    clears them (BaseEndpointGpuConfig.excludedTypes); omitted fields stay."""
    new = {**current, **patch}
    if "pools" in patch and "excludedTypes" not in patch:
        new.pop("excludedTypes", None)
    return new


def template_view(t: SimTemplate) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "image": t.image, "args": t.args, "disk": t.disk,
            "env": dict(t.env), "ports": list(t.ports), "registry": t.registry, "mounts": {},
            "serverless": t.serverless, "public": False, "category": "NVIDIA",
            "startSsh": t.start_ssh, "startJupyter": t.start_jupyter,
            "allowedCudaVersions": list(t.allowed_cuda)}


class Serverless:
    """The account's templates and endpoints; `now` is the world's clock."""

    def __init__(self) -> None:
        self.templates: dict[str, SimTemplate] = {}
        self.endpoints: dict[str, SimEndpoint] = {}

    # -- templates ------------------------------------------------------------
    def create_template(self, body: Any, now: float) -> Response:
        errors = runpod_errors("CreateTemplateRequest", body)
        if errors:
            return problem(422, "Request validation failed.", errors)
        t = SimTemplate(id=uuid.uuid4().hex[:10], name=body["name"], image=body["image"],
                        created_at=now, args=body.get("args", ""), disk=body.get("disk", 20),
                        env=dict(body.get("env", {})), ports=list(body.get("ports", [])),
                        registry=body.get("registry"), serverless=bool(body.get("serverless")),
                        allowed_cuda=list(body.get("allowedCudaVersions", [])),
                        start_ssh=body.get("startSsh", True),
                        start_jupyter=body.get("startJupyter", True))
        self.templates[t.id] = t
        return 201, template_view(t)

    def update_template(self, template_id: str, body: Any) -> Response:
        errors = runpod_errors("UpdateTemplateRequest", body)
        if errors:
            return problem(422, "Request validation failed.", errors)
        t = self.templates.get(template_id)
        if t is None:
            return problem(404, "template not found")
        for key, attr in (("name", "name"), ("image", "image"), ("args", "args"),
                          ("disk", "disk"), ("ports", "ports"), ("registry", "registry"),
                          ("serverless", "serverless")):
            if key in body:
                setattr(t, attr, body[key])
        if "env" in body:
            t.env = dict(body["env"])  # PATCH replaces the whole map
        return 200, template_view(t)

    def delete_template(self, template_id: str) -> Response:
        if template_id not in self.templates:
            return problem(404, "template not found")
        if any(e.template_id == template_id for e in self.endpoints.values()):
            return problem(400, "template is bound to a serverless endpoint")
        del self.templates[template_id]
        return 204, None

    # -- endpoints ------------------------------------------------------------
    def create_endpoint(self, body: Any, now: float) -> Response:
        errors = runpod_errors("CreateEndpointRequest", body)
        if errors:
            return problem(422, "Request validation failed.", errors)
        if ("gpu" in body) == ("cpu" in body):
            return problem(400, "exactly one of gpu or cpu must be set")
        container = {k: body[k] for k in CONTAINER_KEYS if k in body}
        template_id = body.get("templateId")
        if template_id is not None:
            t = self.templates.get(template_id)
            if t is None:
                return problem(404, "template not found")
            if not t.serverless:
                return problem(422, "template is not a serverless template")
            base = template_view(t)
            env = {**base["env"], **container.get("env", {})}  # env merges per key, body wins
            container = {**{k: base[k] for k in CONTAINER_KEYS}, **container, "env": env}
        container.setdefault("args", "")
        container.setdefault("disk", 20)
        container.setdefault("env", {})
        gpu = dict(body["gpu"])
        gpu.setdefault("count", 1)
        ep = SimEndpoint(
            id=uuid.uuid4().hex[:10], name=body["name"], type=body["type"], created_at=now,
            config={"gpu": gpu, "workers": {"min": 0, "max": 3, "idleTimeout": 10,
                                            **body.get("workers", {})},
                    "scaling": body["scaling"], "dataCenterIds": body.get("dataCenterIds", []),
                    "networkVolumes": body.get("networkVolumes", []),
                    "timeout": body.get("timeout", 300000),
                    "flashboot": body.get("flashboot", "OFF")},
            container=container, template_id=template_id)
        ep.releases.append(SimRelease(uuid.uuid4().hex[:10], 1, now, dict(container)))
        self.endpoints[ep.id] = ep
        return 201, ep

    def update_endpoint(self, endpoint_id: str, body: Any, now: float) -> Response:
        errors = runpod_errors("UpdateEndpointRequest", body)
        if errors:
            return problem(422, "Request validation failed.", errors)
        ep = self.endpoints.get(endpoint_id)
        if ep is None:
            return problem(404, "endpoint not found")
        container = dict(ep.container)
        if "templateId" in body:
            t = self.templates.get(body["templateId"])
            if t is None:
                return problem(404, "template not found")
            base = template_view(t)
            container.update({k: base[k] for k in CONTAINER_KEYS})
            ep.template_id = t.id
        container.update({k: body[k] for k in CONTAINER_KEYS if k in body and k != "env"})
        if "env" in body:
            container["env"] = {**container.get("env", {}), **body["env"]}
        if "name" in body:
            ep.name = body["name"]
        diff = [{"field": f"template.{k}", "old": ep.container.get(k), "new": container.get(k)}
                for k in CONTAINER_KEYS if ep.container.get(k) != container.get(k)]
        for key in ("gpu", "dataCenterIds", "networkVolumes", "flashboot"):
            if key in body:
                new = _gpu_patch(ep.config["gpu"], body[key]) if key == "gpu" else body[key]
                if new != ep.config[key]:
                    diff.append({"field": key, "old": ep.config[key], "new": new})
                    ep.config[key] = new
        if "workers" in body and body["workers"].get("min", 0) > ep.config["workers"]["min"]:
            # Workers added by a higher min boot from now (serverless_view._booting).
            ep.config["scaledAt"], ep.config["scaledFrom"] = now, ep.config["workers"]["min"]
        for key in RESCALE_KEYS:
            if key in body:
                ep.config[key] = ({**ep.config[key], **body[key]} if key == "workers"
                                  else body[key])
        if diff:
            ep.container = container
            ep.releases.append(SimRelease(uuid.uuid4().hex[:10], ep.version + 1, now,
                                          dict(container), diff))
        return 200, ep

    def delete_endpoint(self, endpoint_id: str) -> Response:
        ep = self.endpoints.pop(endpoint_id, None)
        if ep is None:
            return problem(404, "endpoint not found")
        if ep.template_id is not None:
            # "Permanently deletes a serverless endpoint and its bound template."
            self.templates.pop(ep.template_id, None)
        return 204, None

    # -- persistence (sandbox) ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict
        return {"templates": [asdict(t) for t in self.templates.values()],
                "endpoints": [asdict(e) for e in self.endpoints.values()]}

    def load_dict(self, data: dict[str, Any]) -> None:
        self.templates = {t["id"]: SimTemplate(**t) for t in data.get("templates", [])}
        self.endpoints = {}
        for raw in data.get("endpoints", []):
            releases = [SimRelease(**r) for r in raw.pop("releases", [])]
            ep = SimEndpoint(**raw, releases=releases)
            self.endpoints[ep.id] = ep
