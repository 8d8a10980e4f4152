"""Serverless endpoints, desired and observed (CONTRACT §14, identity as §5).

Each endpoint owns a serverless template of the same name, `{project}-{environment}-{name}`,
holding its runtime and the markers that make both ours: GITOPS_RUNNER_STACK,
GITOPS_RUNNER_ENDPOINT, GITOPS_RUNNER_LINEAGE and GITOPS_RUNNER_SPEC (the template's
hash). An endpoint created from the template carries the same env (the v2 spec merges
the template's env into the endpoint's), so the endpoint is recognised the same way.
Secret values never live here: `{secret: NAME}` stays a reference until a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.config.endpoints import DEFAULT_IDLE_TIMEOUT, EndpointSpec
from gitops_runner.config.model import SecretRef, Stack
from gitops_runner.config.naming import runpod_name
from gitops_runner.plan.desired import args_string
from gitops_runner.plan.identity import (
    MARKER_LINEAGE,
    MARKER_PREFIX,
    MARKER_SPEC,
    MARKER_STACK,
    sha256_of,
)
from gitops_runner.plan.serving import model_env

MARKER_ENDPOINT = MARKER_PREFIX + "ENDPOINT"
# Template fields: a change makes a new release (workers restart).
TEMPLATE_FIELDS = ("image", "args", "disk", "env", "registry")
# Endpoint fields RunPod applies to the autoscaler at once: nothing restarts
# (PATCH /v2/serverless/{id}, runpod-openapi-v2.json).
RESCALE_FIELDS = ("workers", "scaling", "timeout")
# Endpoint fields that also start a release (placement: workers are replaced).
PLACEMENT_FIELDS = ("gpu", "dataCenterIds", "networkVolumes", "flashboot")


@dataclass(frozen=True)
class DesiredEndpoint:
    name: str  # the entry's name, "chat"
    runpod_name: str
    spec: EndpointSpec
    template_body: Mapping[str, Any]  # secrets as {"secret": NAME}
    endpoint_body: Mapping[str, Any]  # without templateId
    template_hash: str
    spec_hash: str


def _template_body(stack: Stack, lineage: str, spec: EndpointSpec, name: str) -> dict[str, Any]:
    env: dict[str, Any] = dict(model_env(spec.as_pod_spec()))
    for key, value in spec.runtime.env.items():
        env[key] = {"secret": value.name} if isinstance(value, SecretRef) else value
    env.update({MARKER_STACK: stack.name, MARKER_ENDPOINT: spec.name, MARKER_LINEAGE: lineage})
    body: dict[str, Any] = {"name": name, "image": spec.runtime.image,
                            "args": args_string(spec.as_pod_spec()), "disk": spec.disk_gb,
                            "env": env, "serverless": True,
                            # Pod-only conveniences; a worker needs neither (v2 spec).
                            "startSsh": False, "startJupyter": False}
    if spec.runtime.registry_auth_id:
        body["registry"] = spec.runtime.registry_auth_id
    return body


def _endpoint_body(spec: EndpointSpec, name: str) -> dict[str, Any]:
    gpu: dict[str, Any] = {"pools": list(spec.gpu.pools), "count": spec.gpu.count}
    if spec.gpu.exclude:
        gpu["excludedTypes"] = list(spec.gpu.exclude)
    if spec.gpu.min_cuda_version:
        gpu["minCudaVersion"] = spec.gpu.min_cuda_version
    workers: dict[str, Any] = {"min": spec.workers.min, "max": spec.workers.max}
    if not (spec.type == "QUEUE" and spec.scaling.type == "REQUEST_COUNT"):
        # RunPod's default (10 s) when unset, so removing the key from the file takes
        # effect too; that combination takes no idle timeout at all (EndpointWorkers).
        workers["idleTimeout"] = spec.workers.idle_timeout_seconds or DEFAULT_IDLE_TIMEOUT
    scaling = ({"type": "QUEUE_DELAY", "queueDelay": spec.scaling.value}
               if spec.scaling.type == "QUEUE_DELAY"
               else {"type": "REQUEST_COUNT", "requestCount": int(spec.scaling.value)})
    return {"name": name, "type": spec.type, "gpu": gpu, "workers": workers,
            "scaling": scaling, "flashboot": "FLASHBOOT" if spec.flashboot else "OFF",
            "timeout": spec.timeout_seconds * 1000,  # RunPod counts milliseconds
            "dataCenterIds": list(spec.data_centers),
            "networkVolumes": [spec.network_volume.id] if spec.network_volume else []}


def desired_endpoints(stack: Stack, lineage: str) -> list[DesiredEndpoint]:
    out = []
    for spec in stack.endpoints:
        name = runpod_name(stack.project, stack.environment, spec.name)
        template = _template_body(stack, lineage, spec, name)
        endpoint = _endpoint_body(spec, name)
        template_hash = sha256_of(template)
        out.append(DesiredEndpoint(spec.name, name, spec, template, endpoint, template_hash,
                                   sha256_of({"template": template, "endpoint": endpoint})))
    return out


def resolved_template(want: DesiredEndpoint, secrets: Mapping[str, str]) -> dict[str, Any]:
    """The real template body: secret values filled in, the spec marker set."""
    body = dict(want.template_body)
    body["env"] = {k: (secrets[v["secret"]] if isinstance(v, dict) else v)
                   for k, v in want.template_body["env"].items()}
    body["env"][MARKER_SPEC] = want.template_hash
    if not body["args"]:
        del body["args"]
    return body


@dataclass(frozen=True)
class Observed:
    """A template or an endpoint as RunPod returns it."""

    id: str
    name: str
    env: Mapping[str, str]
    body: Mapping[str, Any] = field(repr=False)

    @property
    def stack(self) -> str | None:
        return self.env.get(MARKER_STACK)

    @property
    def lineage(self) -> str | None:
        return self.env.get(MARKER_LINEAGE)


def parse(items: Iterable[Mapping[str, Any]]) -> list[Observed]:
    out = []
    for item in items:
        env = item.get("env") if isinstance(item.get("env"), dict) else {}
        out.append(Observed(str(item.get("id")), str(item.get("name") or ""),
                            {str(k): str(v) for k, v in (env or {}).items()}, dict(item)))
    return out


@dataclass(frozen=True)
class ServerlessView:
    """What RunPod has: every template and endpoint of the account."""

    templates: tuple[Observed, ...] = ()
    endpoints: tuple[Observed, ...] = ()

    @classmethod
    def of(cls, templates: Iterable[Mapping[str, Any]],
           endpoints: Iterable[Mapping[str, Any]]) -> ServerlessView:
        return cls(tuple(parse(templates)), tuple(parse(endpoints)))


@dataclass(frozen=True)
class Owned:
    """One stack's share of the view."""

    templates: dict[str, Observed]  # entry name -> ours
    endpoints: dict[str, Observed]
    foreign: list[Observed]  # our stack marker, another lineage: never touched
    unmarked: list[Observed]  # our name, no markers: never touched


def owned(view: ServerlessView, stack: str, lineage: str, names: Mapping[str, str],
          recorded: Mapping[str, str]) -> Owned:
    """`names`: RunPod name -> entry name for desired endpoints; `recorded`: RunPod id ->
    entry name from state (templates and endpoints)."""
    result = Owned({}, {}, [], [])
    for kind, items in (("templates", view.templates), ("endpoints", view.endpoints)):
        bucket: dict[str, Observed] = getattr(result, kind)
        for item in items:
            entry = recorded.get(item.id)
            if item.stack == stack and item.lineage not in (None, lineage):
                result.foreign.append(item)
            elif entry is None and item.stack == stack and item.lineage == lineage:
                entry = item.env.get(MARKER_ENDPOINT)
            elif entry is None and item.name in names:
                result.unmarked.append(item)
            if entry is not None and item not in result.foreign:
                bucket.setdefault(entry, item)
    return result
