"""Turn schema-valid data into the typed model, applying defaults."""

from __future__ import annotations

import os
from typing import Any

from gitops_runner.config.endpoints import build_endpoint
from gitops_runner.config.images import API_KEY_ENV, image_facts
from gitops_runner.config.model import (
    DEFAULT_CLOUD,
    DEFAULT_ENVIRONMENT,
    DEFAULT_LOCAL_DIR,
    DEFAULT_PREFIX,
    MODEL_HEALTH_TIMEOUT,
    EnvValue,
    Gpu,
    Guardrails,
    HealthCheck,
    IdleStop,
    LockSettings,
    Model,
    NetworkVolume,
    PodSpec,
    Preview,
    Rollout,
    Runtime,
    SecretRef,
    Stack,
    StackVolume,
    StateSettings,
    Volume,
)
from gitops_runner.config.windows import Schedule


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _env(raw: dict[str, Any]) -> dict[str, EnvValue]:
    env: dict[str, EnvValue] = {}
    for key, value in raw.items():
        env[key] = SecretRef(value["secret"]) if isinstance(value, dict) else _scalar_text(value)
    return env


def _args(rt: dict[str, Any]) -> tuple[str, ...] | str | None:
    args = rt.get("args")
    if isinstance(args, list):
        args = tuple(_scalar_text(a) for a in args)
    return args if args not in ("", ()) else None


def _models(raw: dict[str, Any]) -> tuple[Model, ...]:
    return tuple(
        Model(
            id=m["id"], repo=m["repo"],
            engine=m.get("load", {}).get("engine"),
            quant=m.get("load", {}).get("quant"),
            max_seq_len=m.get("load", {}).get("max_seq_len"),
            options=dict(m.get("load", {}).get("options", {})),
            api_key=SecretRef(m["api_key"]["secret"]) if "api_key" in m else None,
        )
        for m in raw.get("models", [])
    )


def _pod(raw: dict[str, Any], project: dict[str, Any]) -> PodSpec:
    gpu = raw["gpu"]
    rt = raw["runtime"]
    args = _args(rt)
    models = _models(raw)
    hc = raw.get("health_check")
    vol = raw.get("volume")
    nvol = raw.get("network_volume")
    ports = tuple(raw.get("ports", []))
    return PodSpec(
        name=raw["name"],
        replicas=raw.get("replicas", 1),
        gpu=Gpu(gpu["type"], gpu.get("count", 1), tuple(gpu.get("fallback", [])),
                gpu.get("min_cuda_version") or _cuda_floor(rt["image"], models)),
        cloud_type=raw.get("cloud_type", project.get("cloud_type", DEFAULT_CLOUD)),
        data_centers=tuple(raw.get("data_centers", project.get("data_centers", []))),
        ports=ports,
        disk_gb=raw.get("disk_gb", 20),
        volume=Volume(vol["size_gb"], vol["path"]) if vol else None,
        network_volume=NetworkVolume(nvol.get("id"), nvol["path"], nvol.get("name"))
        if nvol else None,
        runtime=Runtime(rt["image"], args, _env(rt.get("env", {})), rt.get("registry_auth_id")),
        models=models,
        health_check=HealthCheck(hc["path"], hc["port"], hc.get("timeout_seconds", 900),
                                 hc.get("interval_seconds", 10)) if hc
        else _model_health(models, ports, _env(rt.get("env", {}))),
        tags={str(k): str(v) for k, v in raw.get("tags", {}).items()},
        rollout=Rollout(raw.get("rollout", {}).get("max_unavailable", 1),
                        raw.get("rollout", {}).get("max_surge", 1)),
        **_lifecycle(raw),
    )


def _cuda_floor(image: str, models: tuple[Model, ...]) -> str | None:
    """With `models`, min_cuda_version defaults to the image's CUDA floor (CONTRACT §13):
    without it RunPod may place the pod on an older host where it never starts."""
    facts = image_facts(image) if models else None
    return facts.cuda_floor if facts else None


def _model_health(models: tuple[Model, ...], ports: tuple[str, ...],
                  env: dict[str, EnvValue]) -> HealthCheck | None:
    """A model pod's default check (CONTRACT §4): the server's /health on its port, then
    /v1/models lists the served name; the timeout leaves time to load the weights."""
    if not models or models[0].engine not in ("vllm", "tgi"):
        return None
    http = [int(p.split("/")[0]) for p in ports if p.endswith("/http")]
    if not http:
        return None  # nothing the proxy could reach; readiness is RUNNING with ports
    model = models[0]
    if model.api_key is None and (API_KEY_ENV[model.engine or ""] in env):
        # A key set in env (a RunPod secret reference) cannot be sent: /health only.
        return HealthCheck("/health", http[0], MODEL_HEALTH_TIMEOUT)
    # vLLM lists --served-model-name; TGI lists its model id.
    served = model.id if model.engine == "vllm" else model.repo
    return HealthCheck("/health", http[0], MODEL_HEALTH_TIMEOUT, served_model=served,
                       api_key=model.api_key)


def _lifecycle(raw: dict[str, Any]) -> dict[str, Any]:
    sched, idle = raw.get("schedule"), raw.get("idle_stop")
    return {"status": raw.get("status", "running"),
            "schedule": Schedule(sched["timezone"], tuple(sched["running"]),
                                 sched.get("on_no_gpu", "report")) if sched else None,
            "idle_stop": IdleStop(idle["gpu_util_below"], idle["minutes"]) if idle else None}


def _state(raw: dict[str, Any], file: str) -> StateSettings:
    backend = raw.get("backend", "local")
    lock_raw = raw.get("lock", {})
    if backend == "local":
        lock = LockSettings("file", None, lock_raw.get("wait_seconds"))
    else:
        lock = LockSettings(lock_raw.get("backend", "dynamodb" if "table" in lock_raw else "s3"),
                            lock_raw.get("table"), lock_raw.get("wait_seconds"))
    base = os.path.dirname(os.path.abspath(file))
    path = raw.get("path", DEFAULT_LOCAL_DIR)
    return StateSettings(
        backend=backend, bucket=raw.get("bucket"), prefix=raw.get("prefix", DEFAULT_PREFIX),
        region=raw.get("region"), kms_key_id=raw.get("kms_key_id"),
        path=os.path.normpath(os.path.join(base, path)), lock=lock,
    )


def _guardrails(raw: dict[str, Any]) -> Guardrails:
    return Guardrails(
        max_hourly_cost=raw.get("max_hourly_cost"), max_monthly_cost=raw.get("max_monthly_cost"),
        max_gpus=raw.get("max_gpus"),
        max_pods=raw.get("max_pods"), allowed_gpu_types=tuple(raw.get("allowed_gpu_types", [])),
        allow_gpu_fallback=raw.get("allow_gpu_fallback", True),
        allow_delete=raw.get("allow_delete", False),
        allow_data_loss=raw.get("allow_data_loss", False), max_deletes=raw.get("max_deletes"),
        ttl_hours=raw.get("ttl_hours", 0),
    )


def _preview(data: dict[str, Any]) -> Preview | None:
    from gitops_runner.config.preview import DEFAULT_LABEL, merge_overrides

    raw = data.get("preview")
    if raw is None:
        return None
    over = raw.get("overrides", {})
    return Preview(raw.get("label", DEFAULT_LABEL), raw["ttl_hours"], raw["max_hourly_cost"],
                   tuple(_pod(merge_overrides(p, over), data["project"]) for p in data["pods"]),
                   allowed_gpu_types=tuple(raw.get("allowed_gpu_types", ())),
                   allowed_images=tuple(raw.get("allowed_images", ())),
                   allowed_secrets=tuple(raw.get("allowed_secrets", ())),
                   allow_runpod_secrets=raw.get("allow_runpod_secrets", False),
                   network_volumes=tuple(raw.get("network_volumes", ())),
                   registry_auth_ids=tuple(raw.get("registry_auth_ids", ())),
                   overrides=over)


def build_stack(file: str, data: dict[str, Any]) -> Stack:
    project = data["project"]
    return Stack(
        file=file,
        project=project["name"],
        environment=project.get("environment", DEFAULT_ENVIRONMENT),
        pods=tuple(_pod(p, project) for p in data["pods"]),
        state=_state(data.get("state", {}), file),
        guardrails=_guardrails(data.get("guardrails", {})),
        preview=_preview(data),
        moved={m["from"]: m["to"] for m in data.get("moved", [])},
        volumes=tuple(_volume(v) for v in data.get("volumes", [])),
        endpoints=tuple(build_endpoint(e, project, _env(e["runtime"].get("env", {})),
                                       _args(e["runtime"]), _models(e),
                                       _cuda_floor(e["runtime"]["image"], _models(e)))
                        for e in data.get("endpoints", [])),
    )


def _volume(raw: dict[str, Any]) -> StackVolume:
    many = "data_centers" in raw
    return StackVolume(raw["name"], raw["size_gb"],
                       tuple(raw["data_centers"]) if many else (raw["data_center"],),
                       per_data_center=many, type=raw.get("type"))
