"""The simulator's serving images judge their flags like the real entrypoints."""

from __future__ import annotations

import pytest

from gitops_runner.runpod.simulator.images import check_server

VLLM = "vllm/vllm-openai:v0.6.3"
TGI = "ghcr.io/huggingface/text-generation-inference:2.4.0"


@pytest.mark.parametrize("image, args, gpus, error", [
    (VLLM, "--model Qwen/Qwen2.5-7B-Instruct --port 8000", 1, None),
    (VLLM, "Qwen/Qwen2.5-7B-Instruct", 1, None),
    (VLLM, "--port 8000", 1, "the following arguments are required: model_tag"),
    (VLLM, "--model m --tensor-parallel-size 2", 1,
     "please set tensor_parallel_size (2) to less than max local gpu count (1)"),
    (VLLM, "--model m -tp 2", 2, None),
    (VLLM, "--model Qwen/Qwen2.5-7B-Instruct --quantization awq", 1,
     "Cannot find the config file for awq"),
    (VLLM, "--model TheBloke/Llama-2-7B-GPTQ --quantization awq", 1,
     "model config (gptq) does not match the quantization method specified in the "
     "`quantization` argument (awq)"),
    (VLLM, "--model Qwen/Qwen2.5-7B-Instruct-AWQ --quantization awq_marlin", 1, None),
    (VLLM, "--model m --tensor-parallel-size two", 2, "invalid arguments"),
    (VLLM, "--model 'unterminated", 1, "invalid arguments"),
    (TGI, "--model-id m --max-total-tokens 8192 --max-input-tokens 8191", 1, None),
    (TGI, "--model-id m --max-input-length 8192", 1,
     "`max_input_tokens`(8192) must be < `max_total_tokens`(4096)"),
    (TGI, "--model-id m --max-total-tokens 4096 --max-input-tokens 4096", 1,
     "must be < `max_total_tokens`(4096)"),
    (TGI, "--model-id m --num-shard 2", 1, "--num-shard 2 is more than the 1 visible GPU"),
    (TGI, "--model-id Qwen/Qwen2.5-7B-Instruct --quantize awq", 1,
     "Cannot find the config file for awq"),
    ("nginx:1", "--anything", 1, None),
])
def test_images_flag_rules(image: str, args: str, gpus: int, error: str | None) -> None:
    check = check_server(image, args, {}, gpus)
    if error is None:
        assert check.error is None
    else:
        assert check.error is not None and error in check.error


@pytest.mark.parametrize("image, args, env, port", [
    (VLLM, "--model m", {}, 8000),
    (VLLM, "--model m --port=9000", {}, 9000),
    (TGI, "--model-id m", {}, 80),
    (TGI, "--model-id m", {"PORT": "8080"}, 8080),
    (TGI, "--model-id m --port 8000", {"PORT": "8080"}, 8000),
])
def test_images_listen_port(image: str, args: str, env: dict[str, str], port: int) -> None:
    assert check_server(image, args, env, 1).port == port


@pytest.mark.parametrize("image, engine", [
    ("vllm/vllm-openai", "vllm"), ("docker.io/vllm/vllm-openai:latest", "vllm"),
    ("vllm/vllm-openai@sha256:abc", "vllm"), (TGI, "tgi"),
    ("huggingface/text-generation-inference:1.4", "tgi"), ("myorg/vllm-openai:1", None),
])
def test_images_known_repositories(image: str, engine: str | None) -> None:
    assert check_server(image, "", {}, 1).engine == engine
