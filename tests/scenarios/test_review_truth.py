"""The reviewed plan is the whole truth (CONTRACT §4): a change to any declared field of a
realistic deploy file (pods, network volumes, endpoints, guardrails, preview policy, moved)
changes the plan's fingerprint and shows in the plan; an unchanged file plans the same
fingerprint twice; no secret value reaches any output, state, plan file or the sandbox file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.helpers import SANDBOX, run_cli

HF_TOKEN = "hf_REVIEWTRUTH_s3cr3t_hf"
API_KEY = "key_REVIEWTRUTH_s3cr3t_api"
SECRETS = (HF_TOKEN, API_KEY)
ENV = {**SANDBOX, "HF_TOKEN": HF_TOKEN, "API_KEY": API_KEY,
       "HF_TOKEN_B": HF_TOKEN, "API_KEY_B": API_KEY}

DEPLOY = """\
version: 1
project: {name: llm-stack, environment: prod, cloud_type: SECURE}
state: {backend: local, path: .state}
guardrails:
  max_hourly_cost: 50
  max_monthly_cost: 40000
  max_gpus: 16
  max_pods: 10
  allowed_gpu_types: []
  allow_gpu_fallback: true
  allow_delete: true
  allow_data_loss: false
  max_deletes: 2
  ttl_hours: 0
pods:
  - name: api
    replicas: 1
    status: running
    rollout: {max_unavailable: 1, max_surge: 1}
    gpu: {type: NVIDIA GeForce RTX 4090, count: 1, fallback: [NVIDIA RTX A6000]}
    ports: ["8000/http", "22/tcp"]
    disk_gb: 50
    network_volume: {name: hf-cache, path: /workspace}
    runtime:
      image: vllm/vllm-openai:v0.6.3
      env:
        LOG_LEVEL: info
        HF_TOKEN: {secret: HF_TOKEN}
    models:
      - id: qwen
        repo: Qwen/Qwen2.5-7B-Instruct-AWQ
        load: {engine: vllm, quant: awq, max_seq_len: 8192}
        api_key: {secret: API_KEY}
    schedule:
      timezone: Europe/Paris
      running: ["Mon-Sun 00:00-23:59"]
      on_no_gpu: report
    idle_stop: {gpu_util_below: 5, minutes: 60}
    tags: {team: ml}
volumes:
  - name: hf-cache
    size_gb: 200
    data_center: EU-RO-1
endpoints:
  - name: chat
    type: LOAD_BALANCER
    gpu: {pools: [ADA_24, AMPERE_48], count: 1}
    workers: {min: 0, max: 3, idle_timeout_seconds: 5}
    scaling: {type: REQUEST_COUNT, value: 4}
    flashboot: true
    runtime: {image: "vllm/vllm-openai:v0.20.1", env: {HF_TOKEN: {secret: HF_TOKEN}}}
    models: [{id: qwen, repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm}}]
preview:
  label: preview
  ttl_hours: 48
  max_hourly_cost: 2.0
  overrides: {replicas: 1, gpu: {type: NVIDIA RTX A5000}}
  allowed_images: ["vllm/vllm-openai:"]
"""

Doc = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation setting one dotted path (list items by index) of the deploy file."""
    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if isinstance(node, list) and int(last) == len(node):
            node.append(value)
        elif value is _DELETE:
            del node[last]
        else:
            node[int(last) if isinstance(node, list) else last] = value
    return mutate


_DELETE = object()


def _both(*mutations: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        for m in mutations:
            m(doc)
    return mutate


POD, EP, PV = "pods.0", "endpoints.0", "preview"
MUTATIONS: dict[str, Callable[[Doc], None]] = {
    # pods: what RunPod receives
    "pod.replicas": _set(f"{POD}.replicas", 2),
    "pod.gpu.type": _set(f"{POD}.gpu.type", "NVIDIA L40S"),
    "pod.gpu.count": _set(f"{POD}.gpu.count", 2),
    "pod.gpu.fallback": _set(f"{POD}.gpu.fallback", ["NVIDIA L40S"]),
    "pod.gpu.min_cuda_version": _set(f"{POD}.gpu.min_cuda_version", "12.4"),
    # (cloud_type: a network volume exists only in Secure Cloud, so COMMUNITY is invalid)
    # (data_centers: the pod's network volume narrows them to EU-RO-1 whatever they say)
    "pod.ports": _set(f"{POD}.ports", ["8000/http"]),
    "pod.disk_gb": _set(f"{POD}.disk_gb", 60),
    "pod.network_volume.path": _set(f"{POD}.network_volume.path", "/data"),
    "pod.network_volume.name": _both(
        _set("volumes.1", {"name": "hf-two", "size_gb": 100, "data_center": "EU-RO-1"}),
        _set(f"{POD}.network_volume.name", "hf-two")),
    "pod.runtime.image": _set(f"{POD}.runtime.image", "vllm/vllm-openai:v0.6.4"),
    "pod.runtime.args": _both(_set(f"{POD}.models", _DELETE),
                              _set(f"{POD}.runtime.args", ["--model", "Qwen/Qwen2.5-7B"])),
    "pod.runtime.env.plain": _set(f"{POD}.runtime.env.LOG_LEVEL", "debug"),
    "pod.runtime.env.added": _set(f"{POD}.runtime.env.EXTRA", "1"),
    "pod.runtime.env.secret_name": _set(f"{POD}.runtime.env.HF_TOKEN", {"secret": "HF_TOKEN_B"}),
    "pod.runtime.registry_auth_id": _set(f"{POD}.runtime.registry_auth_id", "reg-1"),
    "pod.models.repo": _set(f"{POD}.models.0.repo", "Qwen/Qwen2.5-14B-Instruct-AWQ"),
    "pod.models.id": _set(f"{POD}.models.0.id", "qwen-b"),
    "pod.models.max_seq_len": _set(f"{POD}.models.0.load.max_seq_len", 4096),
    "pod.models.options": _set(f"{POD}.models.0.load.options", {"enforce-eager": True}),
    "pod.models.api_key": _set(f"{POD}.models.0.api_key", {"secret": "API_KEY_B"}),
    "pod.tags": _set(f"{POD}.tags.team", "research"),
    # pods: state-only declared fields
    "pod.status": _both(_set(f"{POD}.schedule", _DELETE), _set(f"{POD}.idle_stop", _DELETE),
                        _set(f"{POD}.status", "stopped")),
    "pod.rollout": _set(f"{POD}.rollout.max_surge", 0),
    "pod.health_check": _set(f"{POD}.health_check", {"path": "/health", "port": 8000}),
    "pod.schedule.timezone": _set(f"{POD}.schedule.timezone", "UTC"),
    "pod.schedule.running": _set(f"{POD}.schedule.running", ["Mon-Fri 08:00-20:00"]),
    "pod.schedule.on_no_gpu": _set(f"{POD}.schedule.on_no_gpu", "recreate"),
    "pod.idle_stop": _set(f"{POD}.idle_stop.minutes", 30),
    "moved": _both(_set(f"{POD}.name", "api2"), _set("moved", [{"from": "api", "to": "api2"}])),
    # network volumes
    "volume.size_gb": _set("volumes.0.size_gb", 300),
    "volume.moved": _both(_set("volumes.0.name", "weights"),
                          _set(f"{POD}.network_volume.name", "weights"),
                          _set("moved", [{"from": "hf-cache", "to": "weights"}])),
    "volume.added": _set("volumes.1", {"name": "extra", "size_gb": 50, "data_center": "EU-RO-1"}),
    # endpoints
    "endpoint.type": _both(_set(f"{EP}.workers.idle_timeout_seconds", _DELETE),
                           _set(f"{EP}.type", "QUEUE")),
    "endpoint.gpu.pools": _set(f"{EP}.gpu.pools", ["ADA_24"]),
    "endpoint.gpu.exclude": _set(f"{EP}.gpu.exclude", ["NVIDIA GeForce RTX 4090"]),
    "endpoint.gpu.count": _set(f"{EP}.gpu.count", 2),
    "endpoint.workers.min": _set(f"{EP}.workers.min", 1),
    "endpoint.workers.max": _set(f"{EP}.workers.max", 4),
    "endpoint.workers.idle": _set(f"{EP}.workers.idle_timeout_seconds", 10),
    "endpoint.scaling": _set(f"{EP}.scaling.value", 8),
    "endpoint.flashboot": _set(f"{EP}.flashboot", False),
    "endpoint.timeout": _set(f"{EP}.timeout", 600),
    "endpoint.runtime.image": _set(f"{EP}.runtime.image", "vllm/vllm-openai:v0.20.2"),
    "endpoint.runtime.env": _set(f"{EP}.runtime.env.LOG_LEVEL", "debug"),
    "endpoint.runtime.env.secret_name": _set(f"{EP}.runtime.env.HF_TOKEN",
                                              {"secret": "HF_TOKEN_B"}),
    "endpoint.runtime.disk_gb": _set(f"{EP}.runtime.disk_gb", 40),
    "endpoint.models": _set(f"{EP}.models.0.repo", "Qwen/Qwen2.5-14B-Instruct"),
    "endpoint.data_centers": _set(f"{EP}.data_centers", ["EU-RO-1"]),
    "endpoint.network_volume": _set(f"{EP}.network_volume", {"id": "vol12345"}),
    # stack guardrails
    "guardrails.max_hourly_cost": _set("guardrails.max_hourly_cost", 60),
    "guardrails.max_monthly_cost": _set("guardrails.max_monthly_cost", 50000),
    "guardrails.max_gpus": _set("guardrails.max_gpus", 9),
    "guardrails.max_pods": _set("guardrails.max_pods", 11),
    "guardrails.allowed_gpu_types": _set("guardrails.allowed_gpu_types",
                                         ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A6000",
                                          "NVIDIA RTX A5000"]),
    "guardrails.allow_gpu_fallback": _set("guardrails.allow_gpu_fallback", False),
    "guardrails.allow_delete": _set("guardrails.allow_delete", False),
    "guardrails.allow_data_loss": _set("guardrails.allow_data_loss", True),
    "guardrails.max_deletes": _set("guardrails.max_deletes", 3),
    "guardrails.ttl_hours": _set("guardrails.ttl_hours", 1000),
    # the preview policy (CONTRACT §12)
    "preview.label": _set(f"{PV}.label", "safe-to-preview"),
    "preview.ttl_hours": _set(f"{PV}.ttl_hours", 24),
    "preview.max_hourly_cost": _set(f"{PV}.max_hourly_cost", 5.0),
    "preview.overrides": _set(f"{PV}.overrides.gpu", {"type": "NVIDIA H100 80GB HBM3"}),
    "preview.allowed_gpu_types": _set(f"{PV}.allowed_gpu_types", ["NVIDIA RTX A5000"]),
    "preview.allowed_images": _set(f"{PV}.allowed_images", ["ghcr.io/"]),
    "preview.allowed_secrets": _set(f"{PV}.allowed_secrets", ["HF_TOKEN"]),
    "preview.allow_runpod_secrets": _set(f"{PV}.allow_runpod_secrets", True),
    "preview.network_volumes": _set(f"{PV}.network_volumes", ["hf-cache"]),
    "preview.registry_auth_ids": _set(f"{PV}.registry_auth_ids", ["reg-1"]),
}


def _load() -> Doc:
    return json.loads(json.dumps(YAML(typ="safe").load(DEPLOY)))


def _plan(root: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[dict[str, Any], str]:
    monkeypatch.chdir(root)
    result = run_cli(["plan", "--out", name], env=ENV)
    # 1: a guardrail the change violates (the plan file is written all the same)
    assert result.code in (0, 1) and (root / name).exists(), result.out + result.err
    (stack,) = json.loads((root / name).read_text())["stacks"]
    return stack, result.out + result.err


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("applied")
    (root / "deploy.yaml").write_text(DEPLOY)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        result = run_cli(["apply", "--auto-approve"], env=ENV)
        assert result.code == 0, result.out + result.err
    return root


def _copy(applied: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(applied, root)
    return root


def test_unchanged_file_plans_no_changes_with_one_fingerprint(
        applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy(applied, tmp_path)
    first, _ = _plan(root, monkeypatch, "a.json")
    second, _ = _plan(root, monkeypatch, "b.json")
    assert first["fingerprint"] == second["fingerprint"]
    assert first["actions"] == [] and "No changes" in run_cli(["plan"], env=ENV).out


@pytest.mark.parametrize("field", sorted(MUTATIONS))
def test_every_declared_field_changes_the_fingerprint(
        field: str, applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy(applied, tmp_path)
    before, _ = _plan(root, monkeypatch, "before.json")
    doc = _load()
    MUTATIONS[field](doc)
    (root / "deploy.yaml").write_text(json.dumps(doc))
    after, text = _plan(root, monkeypatch, "after.json")
    assert after["fingerprint"] != before["fingerprint"], text
    assert "No changes" not in text, text


def test_no_secret_value_in_outputs_state_plan_or_sandbox_file(
        applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pods, endpoints' templates and releases alike: the sandbox file (next to the state,
    easy to commit) keeps secrets only as digests (runpod/simulator/store.py)."""
    root = _copy(applied, tmp_path)
    monkeypatch.chdir(root)
    doc = _load()
    doc["endpoints"][0]["runtime"]["image"] = "vllm/vllm-openai:v0.20.2"  # a new release
    doc["pods"][0]["runtime"]["env"]["LOG_LEVEL"] = "debug"
    (root / "deploy.yaml").write_text(json.dumps(doc))
    outputs = [run_cli(argv, env=ENV) for argv in (
        ["plan", "--out", "plan.json"], ["plan", "--format", "json"],
        ["plan", "--format", "markdown"], ["apply", "--auto-approve"],
        ["apply", "--auto-approve", "--format", "json"], ["status"],
        ["status", "--format", "json"], ["drift", "--format", "json"], ["gpus"],
        ["gpus", "--format", "json"], ["state", "list"], ["state", "show"])]
    for result in outputs:
        for secret in SECRETS:
            assert secret not in result.out + result.err
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any("sandbox" in str(p) for p in files)
    for path in files:
        text = path.read_text(errors="replace")
        for secret in SECRETS:
            assert secret not in text, path


def test_an_endpoint_secret_renamed_is_reviewed_then_recorded(
        applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same value, another secret name: the file changed, so the plan shows it (a template
    change, no worker restarted); once applied, state records it and the plan is empty."""
    root = _copy(applied, tmp_path)
    doc = _load()
    MUTATIONS["endpoint.runtime.env.secret_name"](doc)
    (root / "deploy.yaml").write_text(json.dumps(doc))
    _, text = _plan(root, monkeypatch, "p.json")
    assert "env.HF_TOKEN: secret HF_TOKEN -> secret HF_TOKEN_B" in text, text
    assert run_cli(["apply", "--auto-approve"], env=ENV).code == 0
    again, text = _plan(root, monkeypatch, "q.json")
    assert again["endpoint_actions"] == [] and "No changes" in text, text


_NEW_POD = {"name": "batch", "gpu": {"type": "NVIDIA GeForce RTX 4090"}, "ports": ["8000/http"],
            "runtime": {"image": "img:1"}}
_NEW_EP = {"name": "jobs", "gpu": {"pools": ["ADA_24"]}, "workers": {"min": 0, "max": 2},
           "runtime": {"image": "worker:1", "env": {"T": {"secret": "HF_TOKEN"}}}}
_WINDOW = {"timezone": "UTC", "running": ["Mon-Fri 08:00-20:00"]}


@pytest.mark.parametrize(("field", "one", "other"), [
    ("pods.1", {**_NEW_POD, "schedule": _WINDOW},
     {**_NEW_POD, "schedule": {**_WINDOW, "running": ["Sat-Sun 08:00-20:00"]}}),
    ("pods.1", {**_NEW_POD, "idle_stop": {"gpu_util_below": 5, "minutes": 60}},
     {**_NEW_POD, "idle_stop": {"gpu_util_below": 5, "minutes": 10}}),
    ("pods.1", {**_NEW_POD, "health_check": {"path": "/health", "port": 8000}},
     {**_NEW_POD, "health_check": {"path": "/ready", "port": 8000}}),
    ("pods.1", _NEW_POD, {**_NEW_POD, "status": "stopped"}),
    ("pods.1", _NEW_POD, {**_NEW_POD, "rollout": {"max_unavailable": 0, "max_surge": 1}}),
    ("pods.1", {**_NEW_POD, "runtime": {"image": "img:1", "env": {"T": {"secret": "HF_TOKEN"}}}},
     {**_NEW_POD, "runtime": {"image": "img:1", "env": {"T": {"secret": "HF_TOKEN_B"}}}}),
    ("endpoints.1", _NEW_EP, {**_NEW_EP, "workers": {"min": 0, "max": 5}}),
    ("endpoints.1", _NEW_EP, {**_NEW_EP, "flashboot": True}),
    ("endpoints.1", _NEW_EP, {**_NEW_EP, "runtime": {"image": "worker:1", "env": {
        "T": {"secret": "HF_TOKEN_B"}}}}),
    ("endpoints.1", _NEW_EP, {**_NEW_EP, "gpu": {"pools": ["ADA_24"], "count": 2}}),
    ("volumes.1", {"name": "extra", "size_gb": 50, "data_center": "EU-RO-1"},
     {"name": "extra", "size_gb": 50, "data_center": "EU-RO-1", "type": "HIGH_PERFORMANCE"}),
])
def test_two_files_that_create_differently_never_share_a_fingerprint(
        field: str, one: Any, other: Any, applied: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge applies a file only under the fingerprint its review showed: a field that
    leaves the fingerprint alone could be merged in unreviewed (another pull request, a
    merge commit)."""
    root = _copy(applied, tmp_path)
    prints = []
    for value in (one, other):
        doc = _load()
        _set(field, value)(doc)
        (root / "deploy.yaml").write_text(json.dumps(doc))
        prints.append(_plan(root, monkeypatch, "p.json")[0]["fingerprint"])
    assert prints[0] != prints[1]
