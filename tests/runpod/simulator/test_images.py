"""The simulator's serving images judge their flags like the real entrypoints."""

from __future__ import annotations

import pytest

from gitops_runner.runpod.simulator.images import Machine, check_server

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
    # argparse exits on a flag it does not know; clap too, and has no --no-x form
    (VLLM, "--model m --max-model-length 4096", 1, "unrecognized arguments: --max-model-length"),
    (VLLM, "--model m --no-enforce-eager", 1, None),
    (TGI, "--model-id m --no-trust-remote-code", 1, "unexpected argument '--no-trust-remote-code'"),
    (TGI, "--model-id m --port 80 --port 81", 1, "'--port <PORT>' cannot be used multiple times"),
    # quantisation names per engine
    (VLLM, "--model m-AWQ --quantization marlin_awq", 1, "invalid choice: 'marlin_awq'"),
    (TGI, "--model-id m-AWQ --quantize awq_marlin", 1, "invalid choice: 'awq_marlin'"),
    (TGI, "--model-id TheBloke/Llama-2-13B-GPTQ --quantize gptq --num-shard 2", 2, None),
    # tensor parallel sizes must divide the attention heads
    (VLLM, "--model m -tp 3", 3, "must be divisible by tensor parallel size (3)"),
    (TGI, "--model-id m", 3, "must be divisible by the number of shards (3)"),
    # TGI < 2 has no --max-input-tokens (its legacy name is --max-input-length)
    ("ghcr.io/huggingface/text-generation-inference:1.4",
     "--model-id m --max-total-tokens 4096 --max-input-tokens 4095", 1,
     "unexpected argument '--max-input-tokens'"),
    ("ghcr.io/huggingface/text-generation-inference:1.4",
     "--model-id m --max-total-tokens 4096 --max-input-length 4095", 1, None),
])
def test_images_flag_rules(image: str, args: str, gpus: int, error: str | None) -> None:
    check = check_server(image, args, {}, Machine(gpus))
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
    assert check_server(image, args, env, Machine(1)).port == port


@pytest.mark.parametrize("image, engine", [
    ("vllm/vllm-openai", "vllm"), ("docker.io/vllm/vllm-openai:latest", "vllm"),
    ("vllm/vllm-openai@sha256:abc", "vllm"), (TGI, "tgi"),
    ("huggingface/text-generation-inference:1.4", "tgi"), ("myorg/vllm-openai:1", None),
])
def test_images_known_repositories(image: str, engine: str | None) -> None:
    assert check_server(image, "", {}, Machine(1)).engine == engine


@pytest.mark.parametrize("args, machine, error", [
    # vLLM sizes its KV cache for the full context unless told (RUNPOD.md §8c)
    ("--model meta-llama/Llama-3.1-8B-Instruct", Machine(1, gpu_memory_gb=24),
     "larger than the available KV cache memory"),
    ("--model meta-llama/Llama-3.1-8B-Instruct --max-model-len 8192",
     Machine(1, gpu_memory_gb=24), None),
    ("--model meta-llama/Llama-3.1-8B-Instruct", Machine(1, gpu_memory_gb=48), None),
    # weights beyond the GPUs' memory, or beyond the container disk without a volume
    ("--model meta-llama/Llama-3.1-70B-Instruct --max-model-len 8192",
     Machine(1, gpu_memory_gb=80), "CUDA out of memory"),
    ("--model meta-llama/Llama-3.1-70B-Instruct --max-model-len 8192 -tp 4",
     Machine(4, gpu_memory_gb=80), None),
    ("--model meta-llama/Llama-3.1-8B-Instruct --max-model-len 8192",
     Machine(1, gpu_memory_gb=24, disk_free_gb=5), "No space left on device"),
])
def test_images_memory_and_disk(args: str, machine: Machine, error: str | None) -> None:
    check = check_server("vllm/vllm-openai:v0.20.1", args, {}, machine)
    assert (check.error is None) if error is None else (error in (check.error or ""))


def test_images_tgi3_without_prefill_chunking_needs_prefill_tokens() -> None:
    args = "--model-id m --max-total-tokens 8192 --max-input-tokens 8191"
    tgi3 = "ghcr.io/huggingface/text-generation-inference:3.0.1"
    old_gpu = Machine(1, gpu_id="Tesla V100-SXM2-32GB", gpu_memory_gb=32)
    assert "`max_batch_prefill_tokens` (4096) must be >= `max_input_tokens` (8191)" in (
        check_server(tgi3, args, {}, old_gpu).error or "")
    assert check_server(tgi3, args + " --max-batch-prefill-tokens 8191", {}, old_gpu).error is None
    assert check_server(tgi3, args, {}, Machine(1, gpu_id="NVIDIA A40", gpu_memory_gb=48)).error \
        is None
