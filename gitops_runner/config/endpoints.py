"""Serverless endpoints in the deploy file (CONTRACT §14): the typed model and its build.

An endpoint's runtime lives on a serverless template of the same name; the fields
follow RunPod's v2 API (/v2/serverless, /v2/templates), named as in the deploy file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.config.model import (
    EnvValue,
    Gpu,
    Model,
    NetworkVolume,
    PodSpec,
    Runtime,
)

DEFAULT_ENDPOINT_DISK_GB = 20
# CreateEndpointRequest defaults (runpod-openapi-v2.json): timeout 300000 ms, workers
# {min 0, max 3, idleTimeout 10}, flashboot OFF.
DEFAULT_TIMEOUT_SECONDS = 300
DEFAULT_MIN_WORKERS = 0
DEFAULT_MAX_WORKERS = 3
DEFAULT_IDLE_TIMEOUT = 10
# EndpointType: a load balancer's workers serve on env PORT, default 80.
LB_DEFAULT_PORT = 80
# Serverless workers mount a network volume at /runpod-volume; the endpoint API takes
# volume ids only, no path (docs.runpod.io/serverless/storage/network-volumes).
SERVERLESS_VOLUME_PATH = "/runpod-volume"


@dataclass(frozen=True)
class EndpointGpu:
    pools: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    count: int = 1
    min_cuda_version: str | None = None


@dataclass(frozen=True)
class Workers:
    min: int = DEFAULT_MIN_WORKERS
    max: int = DEFAULT_MAX_WORKERS
    idle_timeout_seconds: int | None = None


@dataclass(frozen=True)
class Scaling:
    type: str  # QUEUE_DELAY | REQUEST_COUNT
    value: float


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    type: str  # QUEUE | LOAD_BALANCER
    gpu: EndpointGpu
    runtime: Runtime
    disk_gb: int = DEFAULT_ENDPOINT_DISK_GB
    workers: Workers = field(default_factory=Workers)
    scaling: Scaling = field(default_factory=lambda: Scaling("QUEUE_DELAY", 4))
    flashboot: bool = False
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    models: tuple[Model, ...] = ()
    network_volume: NetworkVolume | None = None
    data_centers: tuple[str, ...] = ()

    @property
    def serving_port(self) -> int:
        port = self.runtime.env.get("PORT")
        if isinstance(port, str) and port.isdigit():
            return int(port)
        return LB_DEFAULT_PORT if self.type == "LOAD_BALANCER" else 8000

    def as_pod_spec(self) -> PodSpec:
        """The shape the model-serving helpers read (args, HF_HOME): one worker."""
        return PodSpec(name=self.name, gpu=Gpu("serverless", self.gpu.count),
                       runtime=self.runtime, ports=(f"{self.serving_port}/http",),
                       disk_gb=self.disk_gb, network_volume=self.network_volume,
                       models=self.models)


def build_endpoint(raw: dict[str, Any], project: dict[str, Any],
                   env: Mapping[str, EnvValue], args: tuple[str, ...] | str | None,
                   models: tuple[Model, ...], cuda_floor: str | None = None) -> EndpointSpec:
    """`env`, `args` and `models` come parsed by config.build, as for pods; `cuda_floor`
    is the image's, the CUDA floor's default with `models` (CONTRACT §13, as for pods)."""
    gpu, rt = raw["gpu"], raw["runtime"]
    workers = raw.get("workers", {})
    kind = raw.get("type", "QUEUE")
    scaling = raw.get("scaling") or {
        "type": "REQUEST_COUNT" if kind == "LOAD_BALANCER" else "QUEUE_DELAY", "value": 4}
    nvol = raw.get("network_volume")
    return EndpointSpec(
        name=raw["name"], type=kind,
        gpu=EndpointGpu(tuple(gpu["pools"]), tuple(gpu.get("exclude", [])),
                        gpu.get("count", 1), gpu.get("min_cuda_version") or cuda_floor),
        runtime=Runtime(rt["image"], args, dict(env), rt.get("registry_auth_id")),
        disk_gb=rt.get("disk_gb", DEFAULT_ENDPOINT_DISK_GB),
        workers=Workers(workers.get("min", DEFAULT_MIN_WORKERS),
                        workers.get("max", DEFAULT_MAX_WORKERS),
                        workers.get("idle_timeout_seconds")),
        scaling=Scaling(scaling["type"], scaling["value"]),
        flashboot=bool(raw.get("flashboot", False)),
        timeout_seconds=raw.get("timeout", DEFAULT_TIMEOUT_SECONDS),
        models=models,
        network_volume=NetworkVolume(nvol["id"], SERVERLESS_VOLUME_PATH) if nvol else None,
        data_centers=tuple(raw.get("data_centers", project.get("data_centers", []))),
    )
