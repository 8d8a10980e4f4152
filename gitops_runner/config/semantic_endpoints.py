"""Checks on `endpoints:` that the schema cannot express (CONTRACT §14), with the
rules RunPod's v2 API enforces (runpod-openapi-v2.json, CreateEndpointRequest)."""

from __future__ import annotations

import contextlib
from typing import Any

from gitops_runner.config.errors import Problem
from gitops_runner.config.gpu_ids import unknown_id_message
from gitops_runner.config.naming import MARKER_PREFIX, runpod_name
from gitops_runner.config.yaml_loader import LoadedYaml, Path

# Markers on an endpoint's template: STACK, ENDPOINT, SPEC, LINEAGE, CREATE (see
# plan/endpoints.py); RunPod's 50-var limit counts them.
ENDPOINT_MARKERS = 5
MAX_ENV_VARS = 50
RESERVED_SECRET_PREFIXES = ("RUNPOD_", "AWS_", "GITHUB_", "ACTIONS_", "INPUT_", "RUNNER_",
                            "GITOPS_RUNNER_")
WALK_ERRORS = (KeyError, TypeError, AttributeError, ValueError, IndexError)


def endpoint_problems(doc: LoadedYaml) -> list[Problem]:
    data: dict[str, Any] = doc.data
    project = data["project"]
    env_name = project.get("environment", "dev")
    pod_names = set()
    with contextlib.suppress(*WALK_ERRORS):
        pod_names = {p["name"] for p in data.get("pods", [])}
    out: list[Problem] = []
    seen: dict[str, int] = {}

    def at(path: Path, message: str, key: bool = False) -> None:
        line, col = doc.positions.of_key(path) if key else doc.positions.of_value(path)
        out.append(Problem(doc.file, line, col, message))

    for i, raw in enumerate(data.get("endpoints") or []):
        base: Path = ("endpoints", i)
        where = f"endpoints[{i}]"
        try:
            name = raw["name"]
            if name in seen:
                at((*base, "name"), f"{where}.name: duplicate endpoint name '{name}' (also "
                                    f"endpoints[{seen[name]}])")
            seen.setdefault(name, i)
            if name in pod_names:
                # The template would share the pods' RunPod name space and confuse readers.
                at((*base, "name"), f"{where}.name: '{name}' is also a pod's name; "
                                    f"'{runpod_name(project['name'], env_name, name)}' must "
                                    "name one thing, rename one")
            for message, path, key in _endpoint_messages(where, raw):
                at((*base, *path), message, key)
        except WALK_ERRORS:
            continue  # schema problems say what to fix
    return out


def _endpoint_messages(where: str, raw: dict[str, Any]) -> list[tuple[str, Path, bool]]:
    out: list[tuple[str, Path, bool]] = []
    kind = raw.get("type", "QUEUE")
    workers = raw.get("workers", {})
    if workers.get("min", 0) > workers.get("max", 3):
        out.append((f"{where}.workers: min ({workers.get('min', 0)}) is above max "
                    f"({workers.get('max', 3)})", ("workers",), True))
    scaling = raw.get("scaling")
    if scaling is not None:
        stype, value = scaling["type"], scaling["value"]
        if kind == "LOAD_BALANCER" and stype != "REQUEST_COUNT":
            out.append((f"{where}.scaling.type: a LOAD_BALANCER endpoint scales on "
                        "REQUEST_COUNT only", ("scaling", "type"), False))
        if stype == "REQUEST_COUNT" and (value < 1 or float(value) != int(value)):
            out.append((f"{where}.scaling.value: REQUEST_COUNT takes a whole number of "
                        f"requests >= 1 (got {value})", ("scaling", "value"), False))
        if stype == "QUEUE_DELAY" and value < 0.5:
            out.append((f"{where}.scaling.value: QUEUE_DELAY takes seconds >= 0.5 (got "
                        f"{value})", ("scaling", "value"), False))
        if (kind == "QUEUE" and stype == "REQUEST_COUNT"
                and "idle_timeout_seconds" in workers):
            out.append((f"{where}.workers.idle_timeout_seconds: RunPod rejects an idle timeout "
                        "on a QUEUE endpoint scaling on REQUEST_COUNT; remove it",
                        ("workers", "idle_timeout_seconds"), True))
    elif kind == "QUEUE" and "idle_timeout_seconds" in workers:
        pass  # default scaling is QUEUE_DELAY: an idle timeout applies
    # An exclude entry that is no GPU id excludes nothing: the endpoint would still take
    # the GPU the user meant to keep out, so it is an error, like an unknown gpu.type.
    for j, gpu_id in enumerate(raw.get("gpu", {}).get("exclude", [])):
        unknown = unknown_id_message(gpu_id) if isinstance(gpu_id, str) else None
        if unknown:
            out.append((f"{where}.gpu.exclude[{j}]: {unknown}", ("gpu", "exclude", j), False))
    rt = raw["runtime"]
    if raw.get("models") and rt.get("args") not in (None, "", []):
        out.append((f"{where}: both runtime.args and models are set, and models would be "
                    "ignored; remove one", ("models",), True))
    elif raw.get("models") and raw["models"][0].get("load", {}).get("engine") in (None, "ollama"):
        out.append((f"{where}.models[0]: set load.engine to vllm or tgi so serving args can be "
                    "derived, or set runtime.args", ("models", 0), True))
    env = rt.get("env", {})
    for key, value in env.items():
        path: Path = ("runtime", "env", key)
        if key.upper().startswith(MARKER_PREFIX):
            out.append((f"{where}.runtime.env.{key}: names starting with {MARKER_PREFIX} are "
                        "reserved for gitops-runner's own markers", path, True))
        if isinstance(value, dict) and str(value.get("secret", "")).upper().startswith(
                RESERVED_SECRET_PREFIXES):
            out.append((f"{where}.runtime.env.{key}: secret '{value['secret']}' names one of the "
                        "tool's or the runner's own credentials; it may not be sent to an "
                        "endpoint. Store the value under another name", (*path, "secret"), False))
    if len(env) + ENDPOINT_MARKERS > MAX_ENV_VARS:
        out.append((f"{where}.runtime.env: the template would carry {len(env) + ENDPOINT_MARKERS}"
                    f" env vars ({ENDPOINT_MARKERS} gitops-runner markers); RunPod allows at "
                    f"most {MAX_ENV_VARS}", ("runtime", "env"), True))
    return out
