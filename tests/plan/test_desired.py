from __future__ import annotations

import shlex

import pytest

from gitops_runner.plan.desired import create_body, desired_pods, resolved_env
from gitops_runner.plan.identity import MARKER_POD, MARKER_SPEC, MARKER_STACK
from gitops_runner.plan.serving import model_warnings
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


def model_pod(engine: str, options: str = "", ports: str = '["9000/http"]', count: int = 1,
              repo: str = "Qwen/Qwen2.5-7B-Instruct-AWQ", storage: str = "") -> str:
    return f"""
pods:
  - name: llm
    gpu: {{type: NVIDIA L4, count: {count}}}
    ports: {ports}
    runtime: {{image: img}}
{storage}    models:
      - id: m
        repo: {repo}
        load: {{engine: {engine}, quant: awq, max_seq_len: 8192{options}}}
"""


def args_of(pods: str) -> list[str]:
    return shlex.split(desired_pods(stack_from_yaml(pods))[0].public_body["args"])


def test_desired_vllm_model_becomes_args_with_served_name_and_bool_options() -> None:
    assert args_of(model_pod(
        "vllm", ", options: {gpu-memory-utilization: 0.9, enforce-eager: true, "
        "trust-remote-code: false}")) == [
        "--model", "Qwen/Qwen2.5-7B-Instruct-AWQ", "--served-model-name", "m",
        "--quantization", "awq", "--max-model-len", "8192", "--host", "0.0.0.0",
        "--port", "9000", "--gpu-memory-utilization", "0.9", "--enforce-eager",
        "--no-trust-remote-code"]


def test_desired_vllm_on_two_gpus_sets_tensor_parallel_size() -> None:
    argv = args_of(model_pod("vllm", count=2))
    assert argv[argv.index("--tensor-parallel-size") + 1] == "2"


def test_desired_tgi_model_sets_total_and_input_tokens_default_port() -> None:
    assert args_of(model_pod("tgi", ports="[]")) == [
        "--model-id", "Qwen/Qwen2.5-7B-Instruct-AWQ", "--quantize", "awq",
        "--max-total-tokens", "8192", "--max-input-tokens", "8191",
        "--hostname", "0.0.0.0", "--port", "8000"]


def test_desired_tgi_on_two_gpus_sets_num_shard() -> None:
    argv = args_of(model_pod("tgi", count=2))
    assert argv[argv.index("--num-shard") + 1] == "2"


@pytest.mark.parametrize("storage, expected", [
    ("    volume: {size_gb: 50, path: /workspace}\n", "/workspace/huggingface"),
    ("    network_volume: {id: v1, path: /runpod-volume/}\n", "/runpod-volume/huggingface"),
    ("", None),
])
def test_desired_model_weights_are_cached_on_the_volume(storage: str,
                                                         expected: str | None) -> None:
    pod = desired_pods(stack_from_yaml(model_pod("vllm", storage=storage)))[0]
    assert pod.public_body["env"].get("HF_HOME") == expected


def test_desired_hf_home_set_in_the_file_wins() -> None:
    pods = model_pod("vllm", storage="    volume: {size_gb: 50, path: /workspace}\n").replace(
        "runtime: {image: img}", "runtime: {image: img, env: {HF_HOME: /cache}}")
    assert desired_pods(stack_from_yaml(pods))[0].public_body["env"]["HF_HOME"] == "/cache"


def test_desired_ssh_port_asks_runpod_to_start_ssh() -> None:
    want = desired_pods(stack_from_yaml(POD))[0]
    assert create_body(want, "NVIDIA L4", {"HF_TOKEN": "x"})["startSsh"] is True
    plain = desired_pods(stack_from_yaml(model_pod("vllm")))[0]
    assert "startSsh" not in create_body(plain, "NVIDIA L4", {})


@pytest.mark.parametrize("repo, quant, warned", [
    ("Qwen/Qwen2.5-7B-Instruct", "awq", "does not say AWQ"),
    ("TheBloke/Llama-2-7B-GPTQ", "awq", "does not say AWQ"),
    ("Qwen/Qwen2.5-7B-Instruct-AWQ", "fp8", "the repo name says AWQ"),
    ("Qwen/Qwen2.5-7B-Instruct-AWQ", "awq", None),
    ("TheBloke/Llama-2-7B-GPTQ", "gptq", None),
    ("Qwen/Qwen2.5-7B-Instruct", "fp8", None),
])
def test_desired_quant_that_contradicts_the_repo_is_warned(repo: str, quant: str,
                                                           warned: str | None) -> None:
    spec = stack_from_yaml(model_pod("vllm", repo=repo).replace("quant: awq",
                                                                f"quant: {quant}")).pods[0]
    found = model_warnings(spec)
    assert (warned in found[0]) if warned else found == []


def test_desired_args_string_passes_through_and_empty_args_are_omitted() -> None:
    stack = stack_from_yaml("pods:\n  - name: a\n    gpu: {type: NVIDIA L4}\n"
                            "    runtime: {image: x, args: \"serve --port 1\"}\n"
                            "  - name: b\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n")
    a, b = desired_pods(stack)
    assert a.public_body["args"] == "serve --port 1"
    assert "args" not in create_body(b, "NVIDIA L4", {})


def test_desired_patch_env_keeps_keys_runpod_injected() -> None:
    want = desired_pods(stack_from_yaml(POD))[0]
    observed = {"PUBLIC_KEY": "ssh-ed25519 AAAA", "RUNPOD_POD_ID": "p1", "LOG_LEVEL": "old",
                "STRAY": "x"}
    env = resolved_env(want, {"HF_TOKEN": "hf_abc"}, observed)
    assert env["PUBLIC_KEY"] == "ssh-ed25519 AAAA" and env["RUNPOD_POD_ID"] == "p1"
    assert env["LOG_LEVEL"] == "info" and "STRAY" not in env
