"""Checks the schema cannot express. They also run beside schema errors, so a user sees
every problem at once: each pod is checked on its own, and one whose data the checks
cannot walk (schema-invalid) is skipped, its schema problems saying what to fix."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from gitops_runner.config.endpoints import DEFAULT_MAX_WORKERS
from gitops_runner.config.errors import Problem
from gitops_runner.config.gpu_ids import unknown_id_message
from gitops_runner.config.naming import MARKER_PREFIX, logical_names, runpod_name
from gitops_runner.config.semantic_preview import check_environment, check_preview
from gitops_runner.config.server_flags import GENERATED_FLAGS, QUANT_BY_ENGINE
from gitops_runner.config.yaml_loader import LoadedYaml, Path

# RunPod documents no maximum pod name length; we keep names well inside what
# its console and proxy hostnames handle.
MAX_POD_NAME = 100
MAX_REPLICAS = 100  # as in the schema
MAX_PODS = 1000  # per stack, replicas counted (CONTRACT §4); also the schema's pods maxItems
# {secret: NAME} may not name the tool's or the runner's own credentials (CONTRACT §4).
RESERVED_SECRET_PREFIXES = ("RUNPOD_", "AWS_", "GITHUB_", "ACTIONS_", "INPUT_", "RUNNER_",
                            "GITOPS_RUNNER_")
# RunPod accepts at most 50 env vars per pod (CONTRACT §4); ours count too:
# GITOPS_RUNNER_STACK, _POD and _SPEC, one per tag, and HF_HOME for a served model.
MAX_ENV_VARS = 50
MARKER_COUNT = 3
# What walking schema-invalid data raises.
WALK_ERRORS = (KeyError, TypeError, AttributeError, ValueError, IndexError)
_RUNPOD_SECRET = re.compile(r"^\{\{\s*RUNPOD_SECRET_[A-Za-z0-9_]+\s*\}\}$")
_ACTIONS_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class _Checker:
    def __init__(self, doc: LoadedYaml) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def at(self, path: Path, message: str, key: bool = False) -> None:
        pos = self.doc.positions.of_key(path) if key else self.doc.positions.of_value(path)
        self.problems.append(Problem(self.doc.file, pos[0], pos[1], message))


def semantic_problems(doc: LoadedYaml) -> list[Problem]:
    c = _Checker(doc)
    data: dict[str, Any] = doc.data
    project = data["project"]
    env_name = project.get("environment", "dev")
    with contextlib.suppress(*WALK_ERRORS):
        _check_state(c, data.get("state", {}))
    seen_pods: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    total_gpus = total_pods = 0
    for i, pod in enumerate(data["pods"]):
        try:
            base: Path = ("pods", i)
            duplicate = pod["name"] in seen_pods
            if duplicate:
                c.at((*base, "name"), f"pods[{i}].name: duplicate pod name '{pod['name']}' "
                                      f"(also pods[{seen_pods[pod['name']]}])")
            seen_pods.setdefault(pod["name"], i)
            replicas = pod.get("replicas", 1)
            if not isinstance(replicas, int) or not 1 <= replicas <= MAX_REPLICAS:
                replicas = 1  # the schema already reports it; never expand a hostile count
            for name in (runpod_name(project["name"], env_name, logical)
                         for logical in logical_names(pod["name"], replicas)):
                if len(name) > MAX_POD_NAME:
                    c.at((*base, "name"), f"pods[{i}].name: RunPod name '{name}' is longer than "
                                          f"{MAX_POD_NAME} characters; shorten the names")
                if name in seen_names and seen_names[name] != i and not duplicate:
                    c.at((*base, "name"), f"pods[{i}].name: RunPod name '{name}' collides with "
                                          f"pods[{seen_names[name]}] (replica suffix); rename one")
                seen_names.setdefault(name, i)
            total_pods += replicas
            if total_pods > MAX_PODS:
                c.at(("pods",), f"pods: the stack declares more than {MAX_PODS} pods (replicas "
                                "counted), the most one stack may have; split it", key=True)
                return c.problems  # never expand a hostile file further
            with contextlib.suppress(*WALK_ERRORS):  # no gpu: the schema says so
                total_gpus += replicas * pod["gpu"].get("count", 1)
            _check_pod(c, base, pod, data.get("guardrails", {}))
        except WALK_ERRORS:
            continue  # a schema-invalid pod: its schema problems say what to fix
    guard = data.get("guardrails", {})
    if "max_pods" in guard and total_pods > guard["max_pods"]:
        c.at(("guardrails", "max_pods"), f"guardrails.max_pods: the stack declares {total_pods} "
                                         f"pods, over the limit of {guard['max_pods']}")
    endpoint_gpus = _endpoint_gpus(data.get("endpoints", []))
    if "max_gpus" in guard and total_gpus + endpoint_gpus > guard["max_gpus"]:
        counted = (f" ({total_gpus} in pods, {endpoint_gpus} in endpoints at max workers)"
                   if endpoint_gpus else "")
        c.at(("guardrails", "max_gpus"), "guardrails.max_gpus: the stack declares "
                                         f"{total_gpus + endpoint_gpus} GPUs{counted}, over the "
                                         f"limit of {guard['max_gpus']}")
    with contextlib.suppress(*WALK_ERRORS):
        _check_moved(c, data.get("moved", []), set(seen_pods),
                     {str(v.get("name")) for v in data.get("volumes", []) if isinstance(v, dict)})
    with contextlib.suppress(*WALK_ERRORS):
        c.problems += check_environment(doc, env_name)
    with contextlib.suppress(*WALK_ERRORS):
        c.problems += check_preview(doc, MAX_POD_NAME, _pod_messages(doc))
    return c.problems


def _check_moved(c: _Checker, moved: list[dict[str, Any]], pods: set[str],
                 volumes: set[str]) -> None:
    """`moved` (CONTRACT §4): each `to` is a pod entry or a volume of the file, each `from`
    is not; a pod moves to a pod, a volume to a volume."""
    seen: set[str] = set()
    for i, entry in enumerate(moved):
        old, new = entry["from"], entry["to"]
        if new not in pods and new not in volumes:
            c.at(("moved", i, "to"), f"moved[{i}].to: no pod entry or volume named '{new}'; "
                                     "`to` is the entry's new name")
        if old in pods and new in volumes and new not in pods:
            c.at(("moved", i, "to"), f"moved[{i}]: '{old}' is a pod entry and '{new}' a "
                                     "volume; a pod moves to a pod entry, a volume to a volume")
        elif old in volumes and new in pods and new not in volumes:
            c.at(("moved", i, "to"), f"moved[{i}]: '{old}' is a volume and '{new}' a pod "
                                     "entry; a pod moves to a pod entry, a volume to a volume")
        elif old in pods or old in volumes:
            kind = "pod entry" if old in pods else "volume"
            c.at(("moved", i, "from"), f"moved[{i}].from: '{old}' is still a {kind}; a "
                                       f"moved entry's old name must be gone from the file")
        if old in seen or old == new:
            c.at(("moved", i, "from"), f"moved[{i}].from: '{old}' is moved twice or onto "
                                       "itself")
        seen.add(old)


def _pod_messages(doc: LoadedYaml) -> Callable[[Path, dict[str, Any], dict[str, Any]], list[str]]:
    """_check_pod's messages for a pod that may not be in the document (a preview's)."""
    def messages(base: Path, pod: dict[str, Any], guard: dict[str, Any]) -> list[str]:
        c = _Checker(doc)
        _check_pod(c, base, pod, guard)
        return [p.message for p in c.problems]

    return messages


def _check_state(c: _Checker, state: dict[str, Any]) -> None:
    backend = state.get("backend", "local")
    lock = state.get("lock", {})
    if backend == "local":
        for key in ("bucket", "prefix", "region", "kms_key_id"):
            if key in state:
                c.at(("state", key), f"state.{key}: only used with backend s3; remove it or set "
                                     "state.backend: s3", key=True)
        for key in ("backend", "table"):
            if key in lock:
                c.at(("state", "lock", key), f"state.lock.{key}: local state always uses a file "
                                             "lock; only wait_seconds may be set", key=True)
        return
    if "path" in state:
        c.at(("state", "path"), "state.path: only used with backend local", key=True)
    if "bucket" not in state:
        c.at(("state",), "state: backend s3 needs 'bucket'", key=True)
    lock_backend = lock.get("backend", "dynamodb" if "table" in lock else "s3")
    if lock_backend == "dynamodb" and "table" not in lock:
        c.at(("state", "lock"), "state.lock: backend dynamodb needs 'table'", key=True)
    if lock_backend != "dynamodb" and "table" in lock:
        c.at(("state", "lock", "table"), f"state.lock.table: only used with lock backend "
                                         f"dynamodb (this one is {lock_backend})", key=True)


def _endpoint_gpus(endpoints: Any) -> int:
    """GPUs the endpoints may hold at once: max workers x gpu.count (CONTRACT §14)."""
    total = 0
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        with contextlib.suppress(*WALK_ERRORS):  # a schema-invalid endpoint: the schema says
            total += (int(endpoint.get("workers", {}).get("max", DEFAULT_MAX_WORKERS))
                      * int(endpoint.get("gpu", {}).get("count", 1)))
    return total


def _check_pod(c: _Checker, base: Path, pod: dict[str, Any], guard: dict[str, Any]) -> None:
    name = f"pods[{base[1]}]"
    with contextlib.suppress(*WALK_ERRORS):  # a pod without a valid gpu: checked below
        _check_gpu(c, base, pod["gpu"], guard)
    rollout = pod.get("rollout", {})
    if rollout.get("max_unavailable", 1) == 0 and rollout.get("max_surge", 1) == 0:
        c.at((*base, "rollout"), f"{name}.rollout: max_unavailable 0 needs max_surge of 1 or "
                                 "more, or no replica could ever change", key=True)
    if "volume" in pod and "network_volume" in pod:
        c.at((*base, "network_volume"), f"{name}: set either volume or network_volume, not both",
             key=True)
    for kind in ("volume", "network_volume"):
        if kind in pod and not pod[kind]["path"].startswith("/"):
            c.at((*base, kind, "path"), f"{name}.{kind}.path: must be an absolute path "
                                        f"(got '{pod[kind]['path']}')")
    http_ports = _check_ports(c, base, pod.get("ports", []))
    hc = pod.get("health_check")
    if hc and hc["port"] not in http_ports:
        c.at((*base, "health_check", "port"), f"{name}.health_check.port: {hc['port']} is not one "
                                              f"of the pod's http ports; add '{hc['port']}/http' "
                                              "to ports")
    _check_env(c, base, pod["runtime"].get("env", {}))
    _check_env_count(c, base, pod)
    _check_models(c, base, pod)
    _check_on_no_gpu(c, base, pod)
    upper: dict[str, str] = {}
    for key in pod.get("tags", {}):
        env_key = re.sub(r"[^A-Z0-9_]", "_", key.upper())
        if env_key in upper:
            c.at((*base, "tags", key), f"{name}.tags: '{key}' and '{upper[env_key]}' both become "
                                       f"GITOPS_RUNNER_TAG_{env_key}; rename one", key=True)
        upper[env_key] = key


def _check_gpu(c: _Checker, base: Path, gpu: dict[str, Any], guard: dict[str, Any]) -> None:
    name = f"pods[{base[1]}]"
    if gpu["type"] in gpu.get("fallback", []):
        c.at((*base, "gpu", "fallback"), f"{name}.gpu.fallback: lists the primary type "
                                         f"'{gpu['type']}'; fallbacks must differ from it")
    allowed = guard.get("allowed_gpu_types") or []
    for j, gpu_id in enumerate([gpu["type"], *gpu.get("fallback", [])]):
        path = (*base, "gpu", "type") if j == 0 else (*base, "gpu", "fallback", j - 1)
        field = "gpu.type" if j == 0 else f"gpu.fallback[{j - 1}]"
        unknown = unknown_id_message(gpu_id) if isinstance(gpu_id, str) else None
        if unknown:
            c.at(path, f"{name}.{field}: {unknown}")
        if allowed and gpu_id not in allowed:
            c.at(path, f"{name}.gpu: '{gpu_id}' is not in guardrails.allowed_gpu_types")


def _check_ports(c: _Checker, base: Path, ports: list[str]) -> set[int]:
    numbers: dict[int, int] = {}
    http: set[int] = set()
    for j, port in enumerate(ports):
        number, proto = int(port.split("/")[0]), port.split("/")[1]
        if not 1 <= number <= 65535 and not (proto == "tcp" and 70000 <= number <= 99999):
            c.at((*base, "ports", j), f"pods[{base[1]}].ports[{j}]: port {number} is out of range "
                                      "(1-65535, or 70000+ for symmetric tcp)")
        if number in numbers:
            c.at((*base, "ports", j), f"pods[{base[1]}].ports[{j}]: port {number} is already "
                                      f"exposed by ports[{numbers[number]}]")
        numbers.setdefault(number, j)
        if proto == "http":
            http.add(number)
    return http


def _check_env(c: _Checker, base: Path, env: dict[str, Any]) -> None:
    for key, value in env.items():
        path = (*base, "runtime", "env", key)
        if key.upper().startswith(MARKER_PREFIX):
            c.at(path, f"pods[{base[1]}].runtime.env.{key}: names starting with "
                       f"{MARKER_PREFIX} are reserved for gitops-runner's own markers", key=True)
        if isinstance(value, dict) and isinstance(value.get("secret"), str):
            secret = value["secret"]
            if secret.upper().startswith(RESERVED_SECRET_PREFIXES):
                c.at((*path, "secret"), f"pods[{base[1]}].runtime.env.{key}: secret "
                     f"'{secret}' names one of the tool's or the runner's own credentials "
                     f"({', '.join(p + '*' for p in RESERVED_SECRET_PREFIXES)}); it may not be "
                     "sent to a pod. Store the value under another name")
        if isinstance(value, str) and (m := _ACTIONS_SECRET.search(value)):
            # GitHub expands ${{ }} only in workflow files; here it would reach the pod as text.
            name = m.group(1)
            c.at(path, f"pods[{base[1]}].runtime.env.{key}: '${{{{ secrets.{name} }}}}' is a "
                       "GitHub Actions expression, which is not expanded in a deploy file; "
                       f"write {key}: {{secret: {name}}} and pass {name} to the job's env "
                       f"in the workflow ({name}: ${{{{ secrets.{name} }}}})")
        elif isinstance(value, str) and "{{" in value and not _RUNPOD_SECRET.match(value.strip()):
            c.at(path, f"pods[{base[1]}].runtime.env.{key}: looks like a RunPod secret reference "
                       "but is malformed; write it as '{{ RUNPOD_SECRET_name }}'")


def _check_env_count(c: _Checker, base: Path, pod: dict[str, Any]) -> None:
    env = pod["runtime"].get("env", {})
    hf_home = int(bool(pod.get("models")) and "HF_HOME" not in env
                  and ("volume" in pod or "network_volume" in pod))
    # A model's api_key becomes the server's key env (VLLM_API_KEY / API_KEY).
    api_key = int(any("api_key" in m for m in pod.get("models", [])))
    total = len(env) + MARKER_COUNT + len(pod.get("tags", {})) + hf_home + api_key
    if total > MAX_ENV_VARS:
        where = (*base, "runtime", "env") if env else (*base, "runtime")
        c.at(where, f"pods[{base[1]}].runtime.env: the pod would carry {total} env vars "
                    f"({len(env)} declared, {MARKER_COUNT} gitops-runner markers, "
                    f"{len(pod.get('tags', {}))} tags"
                    + (", HF_HOME" if hf_home else "") + (", the model's API key" if api_key
                                                          else "")
                    + f"); RunPod allows at most "
                    f"{MAX_ENV_VARS}. Remove env vars or tags", key=True)


def _check_models(c: _Checker, base: Path, pod: dict[str, Any]) -> None:
    models = pod.get("models", [])
    if not models:
        return
    name = f"pods[{base[1]}]"
    args = pod["runtime"].get("args")
    if args not in (None, "", []):
        c.at((*base, "models"), f"{name}: both runtime.args and models are set, and models would "
                                "be ignored; remove one", key=True)
        return
    engine = models[0].get("load", {}).get("engine")
    if engine is None:
        c.at((*base, "models", 0), f"{name}.models[0]: set load.engine (vllm or tgi) so serving "
                                   "args can be derived, or set runtime.args", key=True)
    elif engine == "ollama":
        c.at((*base, "models", 0, "load", "engine"), f"{name}.models[0].load.engine: ollama has "
             "no args mapping; set runtime.args (e.g. ['serve']) and remove models")
    else:
        _check_load(c, (*base, "models", 0, "load"), f"{name}.models[0].load", engine,
                    models[0]["load"])


def _check_load(c: _Checker, base: Path, name: str, engine: str, load: dict[str, Any]) -> None:
    """What the server's parser refuses (config/server_flags.py has the sources)."""
    quant = load.get("quant")
    if quant is not None and quant not in QUANT_BY_ENGINE[engine]:
        c.at((*base, "quant"), f"{name}.quant: '{quant}' is not a quantisation method "
                               f"{engine} knows; it exits at start. Use one of "
                               f"{', '.join(sorted(QUANT_BY_ENGINE[engine]))}")
    for key in load.get("options", {}):
        if key in GENERATED_FLAGS[engine]:
            c.at((*base, "options", key), f"{name}.options.{key}: --{key} is already derived "
                 "from the model (repo, id, quant, max_seq_len, gpu.count, port); a repeated "
                 "flag is refused by TGI and ambiguous in vLLM. Set it through those fields",
                 key=True)


def _check_on_no_gpu(c: _Checker, base: Path, pod: dict[str, Any]) -> None:
    schedule = pod.get("schedule") or {}
    if schedule.get("on_no_gpu") == "recreate" and "volume" in pod:
        c.at((*base, "schedule", "on_no_gpu"), f"pods[{base[1]}].schedule.on_no_gpu: recreate "
             "terminates the pod, and its pod volume with it; use a network_volume (kept) or "
             "on_no_gpu: report")
