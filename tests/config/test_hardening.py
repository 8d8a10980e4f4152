"""Secrets may not name the runner's own credentials; a stack has at most 1,000 pods."""

from __future__ import annotations

import time

import pytest

from gitops_runner.config import parse_stack

DOC = """\
version: 1
project: {{name: llm, environment: prod}}
pods:
  - name: api
    gpu: {{type: NVIDIA L4}}
    runtime:
      image: vllm/vllm-openai:v0.6.3
      env:
        TOKEN: {{secret: {name}}}
"""


@pytest.mark.parametrize("name", [
    "RUNPOD_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_RUNTIME_TOKEN", "GITHUB_TOKEN",
    "INPUT_RUNPOD-API-KEY".replace("-", "_"), "RUNNER_TEMP", "GITOPS_RUNNER_SANDBOX",
    "runpod_api_key",
])
def test_validate_secret_naming_own_credentials_is_an_error(name: str) -> None:
    _, problems = parse_stack("deploy/prod.yaml", DOC.format(name=name).encode())
    assert [str(p) for p in problems] == [
        f"deploy/prod.yaml:9:25: pods[0].runtime.env.TOKEN: secret '{name}' names one of the "
        "tool's or the runner's own credentials (RUNPOD_*, AWS_*, GITHUB_*, ACTIONS_*, "
        "INPUT_*, RUNNER_*, GITOPS_RUNNER_*); it may not be sent to a pod. Store the value "
        "under another name"]


def test_validate_secret_with_an_ordinary_name_is_fine() -> None:
    stack, problems = parse_stack("deploy/prod.yaml", DOC.format(name="HF_TOKEN").encode())
    assert problems == [] and stack is not None


def test_validate_more_than_1000_pods_is_refused_quickly() -> None:
    entries = "".join(f"  - {{name: p{i}, replicas: 100, gpu: {{type: NVIDIA L4}}, "
                      f"runtime: {{image: img}}}}\n" for i in range(1000))
    text = "version: 1\nproject: {name: llm, environment: prod}\npods:\n" + entries
    started = time.monotonic()
    stack, problems = parse_stack("deploy/prod.yaml", text.encode())
    assert stack is None
    assert any("more than 1000 pods" in str(p) for p in problems)
    assert time.monotonic() - started < 20


def test_validate_schema_caps_pod_entries() -> None:
    entries = "".join(f"  - {{name: p{i}, gpu: {{type: NVIDIA L4}}, runtime: {{image: img}}}}\n"
                      for i in range(1001))
    text = "version: 1\nproject: {name: llm, environment: prod}\npods:\n" + entries
    stack, problems = parse_stack("deploy/prod.yaml", text.encode())
    assert stack is None and any("pods" in str(p) for p in problems)
