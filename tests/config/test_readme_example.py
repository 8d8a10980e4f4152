"""The README's deploy-file example must validate and start the serving image."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from gitops_runner.config import parse_stack
from gitops_runner.plan.desired import create_body, desired_pods
from gitops_runner.plan.serving import model_warnings

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> bytes:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    example = next(b for b in blocks if "models:" in b)
    return example.encode()


TGI_IMAGE = "ghcr.io/huggingface/text-generation-inference:2.4.0"


def served_by(engine: str, text: str) -> str:
    """The README example's text, served by `engine` (the README's is vLLM)."""
    if engine != "tgi":
        return text
    text = text.replace("vllm/vllm-openai:v0.6.3", TGI_IMAGE).replace("engine: vllm",
                                                                     "engine: tgi")
    text = text.replace("VLLM_API_KEY:", "API_KEY:")
    return text.replace(", options: {gpu-memory-utilization: 0.9}", "")


def test_readme_model_example_validates_and_derives_serving_args() -> None:
    stack, problems = parse_stack("README.md", readme_example())
    assert problems == [] and stack is not None
    spec = stack.pods[0]
    assert model_warnings(spec) == []
    want = desired_pods(stack)[0]
    body = create_body(want, want.candidates[0], {"HF_TOKEN": "hf_x"})
    assert shlex.split(body["args"]) == [
        "--model", "Qwen/Qwen2.5-7B-Instruct-AWQ", "--served-model-name", "qwen",
        "--quantization", "awq", "--max-model-len", "8192", "--host", "0.0.0.0",
        "--port", "8000", "--gpu-memory-utilization", "0.9"]
    assert body["env"]["HF_HOME"] == "/workspace/huggingface"
    assert body["startSsh"] is True


def test_readme_endpoint_example_starts_on_every_gpu_of_its_pools() -> None:
    """The sandbox fails a release the real vLLM would fail (the whole context on a 24 GB
    card, serverless_view.release_fails); the README's endpoint must not be one."""
    from gitops_runner.plan.endpoints import desired_endpoints
    from gitops_runner.runpod.simulator import catalog
    from gitops_runner.runpod.simulator.images import Machine, check_server

    stack, problems = parse_stack("README.md", readme_example())
    assert problems == [] and stack is not None
    from gitops_runner.plan.startable import endpoint_warnings

    assert endpoint_warnings(stack.endpoints[0]) == []
    (want,) = desired_endpoints(stack, "lineage")
    spec, body = want.spec, want.template_body
    gpus = [g for g, pool in catalog.serverless_pools().items()
            if pool in spec.gpu.pools and g not in spec.gpu.exclude]
    assert gpus
    for gpu in gpus:
        machine = Machine(spec.gpu.count, gpu, catalog.memory_gb(gpu))
        check = check_server(body["image"], body["args"], {}, machine)
        assert check.error is None, (gpu, check.error)


def test_readme_preview_policy_block_validates_in_the_example_stack() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (policy,) = [b for b in blocks if b.startswith("preview:")]
    example = readme_example().decode()
    start = example.index("preview:")
    end = example.index("endpoints:", start)
    stack, problems = parse_stack("README.md", (example[:start] + policy + example[end:]).encode())
    assert problems == [] and stack is not None and stack.preview is not None
    assert stack.preview.allowed_secrets == ("HF_TOKEN",)
