"""Facts about the serving images gitops-runner knows: CUDA floor, unpacked size, port,
health path, and what a model's weights weigh. One table, used by `validate` and `plan`
(warnings, the default `min_cuda_version`) and by the simulator (whether a pod starts).

Sources (RUNPOD.md §8c, docs/runpod-notes.md "Serving images"):
- vLLM CUDA floors: vllm docker/versions.json and release notes: v0.20.0 and `latest`
  are built on CUDA 13.0, `-cu129` tags are the CUDA 12 builds (12.9), v0.14.x-v0.19.x
  need 12.9 (runpod-workers/worker-vllm PR #288: v0.14.1 refused a 12.8 host); v0.9-v0.13
  ship CUDA 12.8 binaries (vLLM install docs "pre-compiled C++ and CUDA (12.8) binaries").
  Older tags: unknown (no floor assumed).
- vLLM unpacked size ≈ 28.6 GB: vllm-project/vllm PR #22377 (image size report, v0.10
  era); older tags: unknown.
- TGI: the image is ≈ 15 GB unpacked (CONTRACT §13); built on nvidia/cuda 12.4 (TGI
  Dockerfile `nvidia/cuda:12.4.1`), listens on PORT=80 (image env).
- A host whose CUDA is older than the floor never gives the pod a runtime; RunPod's
  system log says `nvidia-container-cli: requirement error: unsatisfied condition:
  cuda>=13.0` (Nerogar/OneTrainer #981, ai-dynamo/nixl PR #2140).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VLLM_REPOSITORIES = ("vllm/vllm-openai",)
TGI_REPOSITORIES = ("ghcr.io/huggingface/text-generation-inference",
                    "huggingface/text-generation-inference")
# Where each server reads its API key from the environment: vLLM VLLM_API_KEY (not
# API_KEY), TGI's launcher --api-key [env: API_KEY] (RUNPOD.md §8c).
API_KEY_ENV = {"vllm": "VLLM_API_KEY", "tgi": "API_KEY"}
VLLM_UNPACKED_GB = 28.6
TGI_UNPACKED_GB = 15.0
# vLLM sizes its KV cache for the model's full context and exits at start when it does
# not fit; below this much memory per GPU the full context of current models does not
# (RUNPOD.md §8c; Llama-3.1's 131,072 tokens).
VLLM_FULL_CONTEXT_GPU_GB = 48
# Bytes per parameter by dtype or quantisation method (4-bit methods round up to 0.6 for
# their scales and the unquantised embeddings) [inferred from checkpoint sizes].
BYTES_PER_PARAM = {"awq": 0.6, "awq_marlin": 0.6, "gptq": 0.6, "gptq_marlin": 0.6,
                   "marlin": 0.6, "bitsandbytes-nf4": 0.6, "bitsandbytes-fp4": 0.6,
                   "exl2": 0.6, "gguf": 0.6, "fp8": 1.0, "eetq": 1.0, "bitsandbytes": 1.0,
                   "int8": 1.0}
DEFAULT_BYTES_PER_PARAM = 2.0  # bf16/fp16 checkpoints
_PARAMS = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)[bB](?![A-Za-z0-9])")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


@dataclass(frozen=True)
class ImageFacts:
    engine: str  # "vllm" | "tgi"
    cuda_floor: str | None  # the lowest host CUDA the image runs on; None = not known
    unpacked_gb: float | None  # container disk the image takes; None = not known
    port: int  # where the server listens unless told otherwise
    health_path: str = "/health"  # 200 only once the engine has loaded (RUNPOD.md §8c)


def repository_and_tag(image: str) -> tuple[str, str]:
    """('vllm/vllm-openai', 'v0.20.1'); a digest or no tag gives the tag 'latest'/''."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        tag = last.split(":", 1)[1]
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    elif not digest:
        tag = "latest"
    return name.removeprefix("docker.io/"), tag


def engine_of(image: str) -> str | None:
    repository, _ = repository_and_tag(image)
    if repository in VLLM_REPOSITORIES:
        return "vllm"
    if repository in TGI_REPOSITORIES:
        return "tgi"
    return None


def _version(tag: str) -> tuple[int, int] | None:
    found = _VERSION.match(tag)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _vllm_floor(tag: str) -> str | None:
    if tag in ("latest", "nightly"):
        return "13.0"
    suffix = re.search(r"-cu(\d\d)(\d)$", tag)
    if suffix:
        return f"{suffix.group(1)}.{suffix.group(2)}"
    version = _version(tag)
    if version is None:
        return None
    if version >= (0, 20):
        return "13.0"
    if version >= (0, 14):
        return "12.9"
    if version >= (0, 9):
        return "12.8"
    return None


def _vllm_size(tag: str) -> float | None:
    version = _version(tag)
    if tag in ("latest", "nightly") or (version is not None and version >= (0, 10)):
        return VLLM_UNPACKED_GB
    return None


def image_facts(image: str) -> ImageFacts | None:
    """What the table knows about `image`, or None for an image it does not know."""
    engine = engine_of(image)
    _, tag = repository_and_tag(image)
    if engine == "vllm":
        return ImageFacts("vllm", _vllm_floor(tag), _vllm_size(tag), 8000)
    if engine == "tgi":
        version = _version(tag)
        floor = "12.4" if tag == "latest" or (version is not None and version >= (2, 1)) else None
        return ImageFacts("tgi", floor, TGI_UNPACKED_GB, 80)
    return None


def tgi_major(image: str) -> int | None:
    _, tag = repository_and_tag(image)
    if tag == "latest":
        return 3
    version = _version(tag)
    return version[0] if version else None


def cuda_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def parameters_billion(repo: str) -> float | None:
    """The parameter count a repo name states (Llama-3.1-8B -> 8.0), the largest if several;
    a mixture-of-experts name (8x7B) counts every expert."""
    name = repo.rsplit("/", 1)[-1]
    moe = re.search(r"(\d+)x(\d+(?:\.\d+)?)[bB](?![A-Za-z0-9])", name)
    if moe:
        return int(moe.group(1)) * float(moe.group(2))
    found = [float(m) for m in _PARAMS.findall(name)]
    return max(found) if found else None


def weights_gb(repo: str, quant: str | None) -> float | None:
    """Approximate size of the weights in GB (also in GPU memory), or None if unknown."""
    params = parameters_billion(repo)
    if params is None:
        return None
    method = (quant or "").lower()
    if not method:
        lowered = repo.lower()
        method = next((m for m in ("awq", "gptq", "gguf", "fp8", "int8") if m in lowered), "")
    return round(params * BYTES_PER_PARAM.get(method, DEFAULT_BYTES_PER_PARAM), 1)


# GPU memory per GPU in GB for the RunPod GPU ids (RunPod catalog `memory`, RUNPOD.md §6.1);
# validate uses it offline, where no catalog is read.
GPU_MEMORY_GB = {
    "NVIDIA GeForce RTX 4090": 24, "NVIDIA GeForce RTX 3090": 24, "NVIDIA GeForce RTX 3090 Ti": 24,
    "NVIDIA GeForce RTX 5090": 32, "NVIDIA RTX A4000": 16, "NVIDIA RTX A4500": 20,
    "NVIDIA RTX A5000": 24, "NVIDIA RTX A6000": 48, "NVIDIA A40": 48, "NVIDIA L4": 24,
    "NVIDIA L40": 48, "NVIDIA L40S": 48, "NVIDIA RTX 4000 Ada Generation": 20,
    "NVIDIA RTX 2000 Ada Generation": 16, "NVIDIA RTX 5000 Ada Generation": 32,
    "NVIDIA RTX 6000 Ada Generation": 48, "NVIDIA A100 80GB PCIe": 80,
    "NVIDIA A100-SXM4-80GB": 80, "NVIDIA A100-SXM4-40GB": 40, "NVIDIA H100 80GB HBM3": 80,
    "NVIDIA H100 PCIe": 80, "NVIDIA H100 NVL": 94, "NVIDIA H200": 141, "NVIDIA H200 NVL": 141,
    "NVIDIA B200": 180, "NVIDIA RTX PRO 6000 Blackwell Server Edition": 96,
    "NVIDIA RTX PRO 4500 Blackwell": 32, "Tesla V100-PCIE-16GB": 16, "Tesla V100-SXM2-32GB": 32,
    "Tesla T4": 16, "AMD Instinct MI300X OAM": 192, "NVIDIA A30": 24,
}
