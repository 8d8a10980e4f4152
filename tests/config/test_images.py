"""The image table: CUDA floors and sizes by tag, parameter counts from repo names."""

from __future__ import annotations

import pytest

from gitops_runner.config import parse_stack
from gitops_runner.config.images import image_facts, parameters_billion, weights_gb


@pytest.mark.parametrize("image, floor, size", [
    ("vllm/vllm-openai:latest", "13.0", 28.6),
    ("vllm/vllm-openai", "13.0", 28.6),
    ("docker.io/vllm/vllm-openai:v0.20.1", "13.0", 28.6),
    ("vllm/vllm-openai:v0.20.1-cu129", "12.9", 28.6),
    ("vllm/vllm-openai:v0.19.0", "12.9", 28.6),
    ("vllm/vllm-openai:v0.14.1", "12.9", 28.6),
    ("vllm/vllm-openai:v0.10.1", "12.8", 28.6),
    ("vllm/vllm-openai:v0.6.3", None, None),
    ("ghcr.io/huggingface/text-generation-inference:3.0.1", "12.4", 15.0),
])
def test_image_facts_by_tag(image: str, floor: str | None, size: float | None) -> None:
    facts = image_facts(image)
    assert facts is not None and (facts.cuda_floor, facts.unpacked_gb) == (floor, size)


def test_image_facts_unknown_image() -> None:
    assert image_facts("myorg/vllm-openai:1") is None


@pytest.mark.parametrize("repo, params, quant, gb", [
    ("meta-llama/Llama-3.1-8B-Instruct", 8.0, None, 16.0),
    ("meta-llama/Llama-3.1-70B-Instruct", 70.0, None, 140.0),
    ("Qwen/Qwen2.5-7B-Instruct-AWQ", 7.0, None, 4.2),
    ("TheBloke/Llama-2-13B-chat-GPTQ", 13.0, "gptq", 7.8),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", 56.0, None, 112.0),
    ("Qwen/Qwen2.5-0.5B-Instruct", 0.5, "fp8", 0.5),
    ("org/some-model", None, None, None),
])
def test_parameters_and_weights_from_the_repo_name(repo: str, params: float | None,
                                                    quant: str | None, gb: float | None) -> None:
    assert parameters_billion(repo) == params
    assert weights_gb(repo, quant) == gb


def pod(image: str, extra: str = "") -> bytes:
    return f"""version: 1
project: {{name: demo}}
pods:
  - name: api
    gpu: {{type: NVIDIA L40S{extra}}}
    ports: ["8000/http"]
    runtime: {{image: "{image}"}}
    models: [{{id: m, repo: Qwen/Qwen2.5-7B-Instruct, load: {{engine: vllm}}}}]
""".encode()


def test_min_cuda_version_defaults_to_the_image_floor_with_models() -> None:
    stack, _ = parse_stack("d.yaml", pod("vllm/vllm-openai:latest"))
    assert stack is not None and stack.pods[0].gpu.min_cuda_version == "13.0"
    stack, _ = parse_stack("d.yaml", pod("vllm/vllm-openai:latest",
                                         ', min_cuda_version: "12.9"'))
    assert stack is not None and stack.pods[0].gpu.min_cuda_version == "12.9"  # the file wins
    stack, _ = parse_stack("d.yaml", pod("vllm/vllm-openai:v0.6.3"))
    assert stack is not None and stack.pods[0].gpu.min_cuda_version is None


def test_model_pod_gets_the_servers_health_check() -> None:
    stack, _ = parse_stack("d.yaml", pod("vllm/vllm-openai:latest"))
    assert stack is not None
    check = stack.pods[0].health_check
    assert check is not None
    assert (check.path, check.port, check.timeout_seconds, check.served_model) == \
        ("/health", 8000, 1800, "m")
