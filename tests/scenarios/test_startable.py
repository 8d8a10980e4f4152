"""Will it start? Each contract example serves on the realistic simulator (its CUDA 13
hosts, container disks, GPU memory, flag parsers); each wrong case is warned by
`validate`/`plan` before, and fails in the simulator the way the real server or host does
(CONTRACT §4, §13; RUNPOD.md §8c)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from gitops_runner.config import parse_stack
from gitops_runner.config.model import Stack
from gitops_runner.engine.apply import ApplyOptions, ApplyResult, apply_stack
from gitops_runner.plan.startable import pod_warnings
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import ScaledClock
from tests.helpers import make_session, sim_access

VLLM = "vllm/vllm-openai:v0.20.1"
TGI = "ghcr.io/huggingface/text-generation-inference:3.0.1"
SECRETS = {"MODEL_KEY": "sk-model-key", "HF_TOKEN": "hf_x"}


def deploy(tmp_path: Path, image: str, gpu: str, count: int, model: str,
           pod_extra: str = "", disk: int = 60, volume: bool = True,
           min_cuda: str | None = None) -> Stack:
    pin = f", min_cuda_version: \"{min_cuda}\"" if min_cuda else ""
    text = f"""version: 1
project: {{name: llm, environment: prod}}
state: {{path: {tmp_path}}}
pods:
  - name: api
    gpu: {{type: {gpu}, count: {count}{pin}}}
    ports: ["8000/http"]
    disk_gb: {disk}
{"    volume: {size_gb: 200, path: /workspace}" if volume else ""}
    runtime:
      image: {image}
      env: {{HF_TOKEN: {{secret: HF_TOKEN}}, PORT: "8000"}}
    models:
      - {{id: chat, {model}, api_key: {{secret: MODEL_KEY}}}}
{pod_extra}"""
    stack, problems = parse_stack("deploy.yaml", text.encode())
    assert problems == [] and stack is not None, [str(p) for p in problems]
    return stack


@pytest.fixture
def clock() -> ScaledClock:
    # Fast virtual time: the waits here are boots and a 60 s health timeout, and nothing
    # depends on a margin a CPU stall (x100) could eat: a late look still sees the failure.
    return ScaledClock(factor=100.0)


@pytest.fixture
def sim(clock: ScaledClock) -> Iterator[Simulator]:
    with Simulator(World(clock=clock, settings=Settings.realistic(6.0))) as simulator:
        yield simulator


def apply(sim: Simulator, clock: ScaledClock, stack: Stack) -> tuple[ApplyResult, list[str]]:
    logs: list[str] = []
    session = make_session(logs.append, clock, SECRETS)
    client = RunPodClient(sim.url, "k", backoff_base=0.01)
    return apply_stack(session, stack, sim_access(sim, client, 2.0), SECRETS,
                       ApplyOptions()), logs


EXAMPLES = {
    "vllm-tp1": (VLLM, "NVIDIA L40S", 1,
                 "repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm, max_seq_len: 8192}"),
    "vllm-tp2": (VLLM, "NVIDIA GeForce RTX 4090", 2,
                 "repo: meta-llama/Llama-3.1-8B-Instruct, load: {engine: vllm, max_seq_len: 8192}"),
    "vllm-tp4": (VLLM, "NVIDIA RTX A6000", 4,
                 "repo: Qwen/Qwen2.5-32B-Instruct, load: {engine: vllm, max_seq_len: 16384}"),
    "vllm-tp8": (VLLM, "NVIDIA A100-SXM4-80GB", 8,
                 "repo: meta-llama/Llama-3.1-70B-Instruct, load: {engine: vllm}"),
    "vllm-awq": (VLLM, "NVIDIA GeForce RTX 4090", 1, "repo: Qwen/Qwen2.5-7B-Instruct-AWQ, "
                 "load: {engine: vllm, quant: awq_marlin, max_seq_len: 8192}"),
    "vllm-gptq": (VLLM, "NVIDIA RTX A5000", 1, "repo: TheBloke/Llama-2-13B-chat-GPTQ, "
                  "load: {engine: vllm, quant: gptq, max_seq_len: 4096, "
                  "options: {enforce-eager: true, enable-prefix-caching: false}}"),
    "vllm-cu129": ("vllm/vllm-openai:v0.20.1-cu129", "NVIDIA L40S", 1,
                   "repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm, max_seq_len: 8192}"),
    "tgi-shards": (TGI, "NVIDIA A40", 2, "repo: meta-llama/Llama-3.1-8B-Instruct, "
                   "load: {engine: tgi, max_seq_len: 8192, options: {trust-remote-code: false}}"),
    "tgi-awq": (TGI, "NVIDIA GeForce RTX 4090", 1, "repo: TheBloke/Llama-2-13B-chat-AWQ, "
                "load: {engine: tgi, quant: awq, max_seq_len: 4096}"),
    "tgi-nf4": (TGI, "NVIDIA L4", 1, "repo: mistralai/Mistral-7B-Instruct-v0.3, "
                "load: {engine: tgi, quant: bitsandbytes-nf4, max_seq_len: 4096}"),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_contract_example_starts_and_serves(sim: Simulator, clock: ScaledClock, tmp_path: Path,
                                            name: str) -> None:
    image, gpu, count, model = EXAMPLES[name]
    stack = deploy(tmp_path, image, gpu, count, model)
    spec = stack.pods[0]
    assert [w for w in pod_warnings(spec) if "option" not in w] == []
    assert spec.health_check is not None and spec.health_check.timeout_seconds == 1800
    result, logs = apply(sim, clock, stack)
    assert result.converged, (result.failed, logs[-6:])
    (pod,) = RunPodClient(sim.url, "k").list_pods()
    floor = "13.0" if image == VLLM else None
    assert pod["cudaVersion"] >= (floor or "12")
    # The server's key guards /v1: the default health check sent it, a stranger gets 401.
    url = sim.proxy_url.replace("{pod_id}", pod["id"]).replace("{port}", "8000")
    assert requests.get(url + "/v1/models", timeout=5).status_code == 401
    served = requests.get(url + "/v1/models", timeout=5,
                          headers={"Authorization": "Bearer sk-model-key"}).json()
    assert [m["id"] for m in served["data"]] == ["chat" if image.startswith("vllm")
                                                 else model.split(",")[0][6:]]


WRONG = {
    # (image, gpu, count, model, pod extra, disk, volume): what warns, what the pod says
    "cuda-floor": ((VLLM, "NVIDIA L40S", 1, "repo: Qwen/Qwen2.5-7B-Instruct, "
                    "load: {engine: vllm, max_seq_len: 8192}", "", 60, True),
                   "below the CUDA 13.0", "unsatisfied condition: cuda>=13.0"),
    "disk": ((VLLM, "NVIDIA L40S", 1, "repo: Qwen/Qwen2.5-7B-Instruct, "
              "load: {engine: vllm, max_seq_len: 8192}", "", 20, True),
             "disk_gb 20 cannot hold the image (28.6 GB unpacked)", "no space left on device"),
    "weights-on-disk": ((VLLM, "NVIDIA L40S", 1, "repo: Qwen/Qwen2.5-32B-Instruct, "
                         "load: {engine: vllm, max_seq_len: 8192}", "", 40, False),
                        "plus the weights", "No space left on device"),
    "kv-cache": ((VLLM, "NVIDIA GeForce RTX 4090", 1, "repo: meta-llama/Llama-3.1-8B-Instruct, "
                  "load: {engine: vllm}", "", 60, True),
                 "without load.max_seq_len", "larger than the available KV cache memory"),
    "gpu-memory": ((VLLM, "NVIDIA L40S", 1, "repo: meta-llama/Llama-3.1-70B-Instruct, "
                    "load: {engine: vllm, max_seq_len: 8192}", "", 60, True),
                   "needs ≈140 GB for its weights", "CUDA out of memory"),
    "tp3": ((VLLM, "NVIDIA L40S", 3, "repo: Qwen/Qwen2.5-7B-Instruct, "
             "load: {engine: vllm, max_seq_len: 8192}", "", 60, True),
            "only 1, 2, 4 and 8", "must be divisible by tensor parallel size (3)"),
    "unknown-flag": ((VLLM, "NVIDIA L40S", 1, "repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: "
                      "vllm, max_seq_len: 8192, options: {max-model-length: 4096}}", "", 60, True),
                     "--max-model-length is not a flag", "unrecognized arguments"),
    "tgi-shards3": ((TGI, "NVIDIA A40", 3, "repo: meta-llama/Llama-3.1-8B-Instruct, "
                     "load: {engine: tgi, max_seq_len: 8192}", "", 60, True),
                    "only 1, 2, 4 and 8", "divisible by the number of shards (3)"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_case_is_warned_then_fails_like_the_real_thing(
        sim: Simulator, clock: ScaledClock, tmp_path: Path, name: str) -> None:
    (image, gpu, count, model, extra, disk, volume), warned, fails = WRONG[name]
    extra = extra or "    health_check: {path: /health, port: 8000, timeout_seconds: 60}\n"
    # cuda-floor: the file pins an older CUDA than the image needs
    stack = deploy(tmp_path, image, gpu, count, model, extra, disk, volume,
                   "12.8" if name == "cuda-floor" else None)
    assert any(warned in w for w in pod_warnings(stack.pods[0])), pod_warnings(stack.pods[0])
    result, _ = apply(sim, clock, stack)
    assert not result.converged
    client = RunPodClient(sim.url, "k")
    (pod,) = client.list_pods()
    lines = [line for _, line in sim.world.log_lines(pod["id"]) or []]
    assert any(fails in line for line in lines), lines[-4:]
