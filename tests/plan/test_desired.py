from __future__ import annotations

import shlex

from gitops_runner.plan.desired import create_body, desired_pods
from gitops_runner.plan.identity import MARKER_POD, MARKER_SPEC, MARKER_STACK
from tests.plan.factories import stack_from_yaml

POD = """
pods:
  - name: api
    replicas: 2
    gpu: {type: NVIDIA GeForce RTX 4090, count: 2, fallback: [NVIDIA RTX A6000],
          min_cuda_version: "12.4"}
    cloud_type: COMMUNITY
    data_centers: [EU-RO-1, US-TX-3]
    ports: ["8000/http", "22/tcp"]
    disk_gb: 50
    network_volume: {id: vol1, path: /data}
    runtime:
      image: vllm/vllm-openai:v0.6.3
      args: ["--model", "Qwen/Qwen2.5-7B-Instruct", "--chat-template", "{% raw %} it's"]
      env:
        LOG_LEVEL: info
        HF_TOKEN: {secret: HF_TOKEN}
        API_KEY: "{{ RUNPOD_SECRET_api_key }}"
      registry_auth_id: reg1
    tags: {team: ml, cost-center: "42"}
"""


def test_desired_replicas_expand_with_names_and_markers() -> None:
    pods = desired_pods(stack_from_yaml(POD))
    assert [(p.logical, p.runpod_name) for p in pods] == [
        ("api", "demo-prod-api"), ("api-1", "demo-prod-api-1")]
    env = pods[1].public_body["env"]
    assert env[MARKER_STACK] == "demo/prod" and env[MARKER_POD] == "api-1"
    assert env["GITOPS_RUNNER_TAG_TEAM"] == "ml"
    assert env["GITOPS_RUNNER_TAG_COST_CENTER"] == "42"


def test_desired_create_body_maps_every_field_to_v2() -> None:
    want = desired_pods(stack_from_yaml(POD))[0]
    body = create_body(want, "NVIDIA RTX A6000", {"HF_TOKEN": "hf_abc"})
    assert body["gpu"] == {"id": "NVIDIA RTX A6000", "count": 2, "minCudaVersion": "12.4"}
    assert body["cloud"] == "COMMUNITY"
    assert body["dataCenterIds"] == ["EU-RO-1", "US-TX-3"]
    assert body["disk"] == 50 and body["ports"] == ["8000/http", "22/tcp"]
    assert body["mounts"] == {"network": [{"volumeId": "vol1", "path": "/data"}]}
    assert body["registry"] == "reg1"
    assert body["env"]["HF_TOKEN"] == "hf_abc"
    assert body["env"]["API_KEY"] == "{{ RUNPOD_SECRET_api_key }}"
    assert body["env"][MARKER_SPEC] == want.spec_hash
    assert shlex.split(body["args"]) == ["--model", "Qwen/Qwen2.5-7B-Instruct",
                                         "--chat-template", "{% raw %} it's"]


def test_desired_spec_hash_ignores_secret_values_but_not_names() -> None:
    a = desired_pods(stack_from_yaml(POD))[0]
    b = desired_pods(stack_from_yaml(POD.replace("secret: HF_TOKEN", "secret: OTHER")))[0]
    assert a.spec_hash != b.spec_hash
    assert "hf_abc" not in str(a.public_body)
    assert a.spec_hash == desired_pods(stack_from_yaml(POD))[0].spec_hash


def test_desired_fallback_list_is_part_of_the_spec() -> None:
    a = desired_pods(stack_from_yaml(POD))[0]
    b = desired_pods(stack_from_yaml(POD.replace("[NVIDIA RTX A6000]", "[NVIDIA A40]")))[0]
    assert a.spec_hash != b.spec_hash


def test_desired_no_fallback_when_guardrail_forbids_it() -> None:
    stack = stack_from_yaml(POD, extra="guardrails: {allow_gpu_fallback: false}\n")
    assert desired_pods(stack)[0].candidates == ("NVIDIA GeForce RTX 4090",)


def model_pod(engine: str, options: str = "", ports: str = '["9000/http"]') -> str:
    return f"""
pods:
  - name: llm
    gpu: {{type: NVIDIA L4}}
    ports: {ports}
    runtime: {{image: img}}
    models:
      - id: m
        repo: Qwen/Qwen2.5-7B-Instruct
        load: {{engine: {engine}, quant: awq, max_seq_len: 8192{options}}}
"""


def test_desired_vllm_model_becomes_args() -> None:
    pod = desired_pods(stack_from_yaml(model_pod(
        "vllm", ", options: {gpu-memory-utilization: 0.9, enforce-eager: true, "
        "trust-remote-code: false}")))[0]
    assert pod.public_body["args"] == (
        "--model Qwen/Qwen2.5-7B-Instruct --quantization awq --max-model-len 8192 "
        "--host 0.0.0.0 --port 9000 --gpu-memory-utilization 0.9 --enforce-eager")


def test_desired_tgi_model_becomes_args_default_port() -> None:
    pod = desired_pods(stack_from_yaml(model_pod("tgi", ports="[]")))[0]
    assert pod.public_body["args"] == (
        "--model-id Qwen/Qwen2.5-7B-Instruct --quantize awq --max-input-length 8192 "
        "--hostname 0.0.0.0 --port 8000")


def test_desired_args_string_passes_through_and_empty_args_are_omitted() -> None:
    stack = stack_from_yaml("pods:\n  - name: a\n    gpu: {type: NVIDIA L4}\n"
                            "    runtime: {image: x, args: \"serve --port 1\"}\n"
                            "  - name: b\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n")
    a, b = desired_pods(stack)
    assert a.public_body["args"] == "serve --port 1"
    assert "args" not in create_body(b, "NVIDIA L4", {})
