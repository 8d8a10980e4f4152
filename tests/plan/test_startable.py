"""Startability warnings (CONTRACT §13, §4): what validate and plan say before a pod
that would not start or serve is created."""

from __future__ import annotations

import pytest

from gitops_runner.plan.serving import model_args
from gitops_runner.plan.startable import pod_warnings
from tests.plan.factories import stack_from_yaml

TGI3 = "ghcr.io/huggingface/text-generation-inference:3.0.1"


def pod(image: str, gpu: str = "NVIDIA L40S", count: int = 1, model: str = "",
        runtime: str = "", disk: int = 60) -> str:
    models = f"\n    models: [{{id: m, {model}, api_key: {{secret: K}}}}]" if model else ""
    return f"""
pods:
  - name: api
    gpu: {{type: {gpu}, count: {count}}}
    ports: ["8000/http"]
    disk_gb: {disk}
    volume: {{size_gb: 100, path: /workspace}}
    runtime: {{image: "{image}"{runtime}}}{models}
"""


@pytest.mark.parametrize("text, expected", [
    (pod("vllm/vllm-openai:v0.20.1", model="repo: Qwen/Qwen2.5-7B-Instruct-AWQ, "
         "load: {engine: vllm, quant: awq_marlin, max_seq_len: 8192}"), None),
    (pod(TGI3, gpu="Tesla V100-SXM2-32GB", model="repo: meta-llama/Llama-3.1-8B-Instruct, "
         "load: {engine: tgi, max_seq_len: 8192}"),
     "options: {max-batch-prefill-tokens: 8191}"),
    (pod(TGI3, model="repo: meta-llama/Llama-3.1-8B-Instruct, "
         "load: {engine: tgi, max_seq_len: 8192, options: {trust-remote-code: false}}"),
     "false is left out: TGI's launcher has no --no-trust-remote-code form"),
    (pod("vllm/vllm-openai:v0.20.1", count=6, model="repo: Qwen/Qwen2.5-7B-Instruct, "
         "load: {engine: vllm, max_seq_len: 8192}"), "Use 1, 2, 4 or 8"),
    (pod("vllm/vllm-openai:v0.20.1", runtime=", args: [--model, m, --max-len, '4096']"),
     "runtime.args: --max-len is not known to vllm serve"),
    (pod("vllm/vllm-openai:v0.20.1"), 'Set gpu.min_cuda_version: "13.0"'),
])
def test_pod_warnings(text: str, expected: str | None) -> None:
    found = pod_warnings(stack_from_yaml(text).pods[0])
    if expected is None:
        assert found == []
    else:
        assert any(expected in w for w in found), found


def test_tgi_false_option_is_omitted_and_vllm_false_is_no_flag() -> None:
    tgi = stack_from_yaml(pod(TGI3, model="repo: r/m-7B, load: {engine: tgi, "
                                          "options: {trust-remote-code: false}}")).pods[0]
    assert "trust-remote-code" not in (model_args(tgi) or "")
    vllm = stack_from_yaml(pod("vllm/vllm-openai:v0.20.1", model="repo: r/m-7B, load: "
                               "{engine: vllm, options: {enforce-eager: false}}")).pods[0]
    assert "--no-enforce-eager" in (model_args(vllm) or "")


def test_api_key_goes_to_the_servers_env_as_a_secret_reference() -> None:
    from gitops_runner.plan.desired import desired_pods
    for image, engine, key in (("vllm/vllm-openai:v0.20.1", "vllm", "VLLM_API_KEY"),
                               (TGI3, "tgi", "API_KEY")):
        stack = stack_from_yaml(pod(image, model=f"repo: r/m-7B, load: {{engine: {engine}}}"))
        (want,) = desired_pods(stack)
        assert want.public_body["env"][key] == {"secret": "K"}
        assert "K" not in want.public_body["args"]


def test_tgi_1_gets_the_legacy_input_length_flag() -> None:
    spec = stack_from_yaml(pod("ghcr.io/huggingface/text-generation-inference:1.4",
                               model="repo: r/m-7B, load: {engine: tgi, max_seq_len: 4096}")).pods[0]
    args = model_args(spec) or ""
    assert "--max-input-length 4095" in args and "--max-input-tokens" not in args


def test_an_endpoint_worker_is_checked_on_the_smallest_gpu_of_its_pools() -> None:
    from gitops_runner.config import parse_stack
    from gitops_runner.plan.startable import endpoint_warnings

    doc = b"""version: 1
project: {name: demo}
pods:
  - {name: api, gpu: {type: NVIDIA L4}, runtime: {image: nginx}}
endpoints:
  - name: chat
    type: LOAD_BALANCER
    gpu: {pools: [ADA_24, AMPERE_48]}
    workers: {min: 1, max: 2}
    runtime: {image: "vllm/vllm-openai:v0.8.5"}
    models: [{id: q, repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm}}]
"""
    stack, problems = parse_stack("d.yaml", doc)
    assert problems == [] and stack is not None
    (warning,) = endpoint_warnings(stack.endpoints[0])
    assert warning.startswith("endpoint chat (a worker may get NVIDIA RTX 4000 Ada Generation): "
                              "vLLM without load.max_seq_len")
    bounded, _ = parse_stack("d.yaml", doc.replace(b"engine: vllm}", b"engine: vllm, "
                                                                     b"max_seq_len: 8192}"))
    assert bounded is not None and endpoint_warnings(bounded.endpoints[0]) == []
    big, _ = parse_stack("d.yaml", doc.replace(b"ADA_24, ", b""))
    assert big is not None and endpoint_warnings(big.endpoints[0]) == []


def test_a_queue_endpoint_serving_models_over_http_is_warned_it_takes_no_jobs() -> None:
    from gitops_runner.config import parse_stack
    from gitops_runner.plan.startable import endpoint_warnings

    doc = b"""version: 1
project: {name: demo}
pods:
  - {name: api, gpu: {type: NVIDIA L4}, runtime: {image: nginx}}
endpoints:
  - name: chat
    type: QUEUE
    gpu: {pools: [AMPERE_48]}
    workers: {min: 1, max: 2}
    runtime: {image: "vllm/vllm-openai:v0.8.5"}
    models: [{id: q, repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm, max_seq_len: 8192}}]
"""
    stack, _ = parse_stack("d.yaml", doc)
    assert stack is not None
    assert endpoint_warnings(stack.endpoints[0]) == [
        "endpoint chat: models start vllm's HTTP server, which takes no jobs from a QUEUE "
        "endpoint's /run and /runsync (they need a handler worker); set type: LOAD_BALANCER "
        "to serve the model over HTTP"]
    served, _ = parse_stack("d.yaml", doc.replace(b"type: QUEUE", b"type: LOAD_BALANCER"))
    assert served is not None and endpoint_warnings(served.endpoints[0]) == []
