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
