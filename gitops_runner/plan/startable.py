"""Will the pod start and serve? Warnings from the image table, the flag lists and the
model's size, for `validate` (offline) and `plan` (CONTRACT §13, §4). Each names the
figures and the fix; the simulator fails the same cases the way the real servers do."""

from __future__ import annotations

import shlex
from dataclasses import replace

from gitops_runner.config.endpoints import EndpointSpec
from gitops_runner.config.gpu_ids import snapshot_gpus
from gitops_runner.config.images import (
    API_KEY_ENV,
    GPU_MEMORY_GB,
    VLLM_FULL_CONTEXT_GPU_GB,
    cuda_tuple,
    engine_of,
    image_facts,
    tgi_major,
    weights_gb,
)
from gitops_runner.config.model import Gpu, Model, PodSpec
from gitops_runner.config.server_flags import (
    PRE_AMPERE_GPUS,
    TGI_DEFAULT_PREFILL,
    TP_SIZES,
    known_flag,
)
from gitops_runner.plan.serving import model_warnings

# Weights need headroom for activations and the KV cache (vLLM reserves
# gpu-memory-utilization 0.9 of the memory, and needs room beyond the weights).
WEIGHTS_MEMORY_SHARE = 0.9


def pod_warnings(spec: PodSpec) -> list[str]:
    """Everything known to keep this pod from starting or serving, as warnings."""
    out = [*model_warnings(spec), *_cuda(spec), *_disk(spec), *_args(spec)]
    if spec.models and spec.models[0].engine in ("vllm", "tgi"):
        model = spec.models[0]
        out += _memory(spec, model) + _flags(spec, model) + _parallel(spec, model)
        if model.api_key is None and API_KEY_ENV[model.engine or ""] not in spec.runtime.env:
            out.append(f"pod {spec.name}: model {model.id} has no api_key: its proxy URL "
                       f"(https://<pod id>-<port>.proxy.runpod.net) is public, so anyone can "
                       "use the endpoint. Set models[0].api_key: {secret: NAME} (or env "
                       f"{API_KEY_ENV[model.engine or '']})")
    return out


def endpoint_warnings(spec: EndpointSpec) -> list[str]:
    """The pod's memory, flag and parallelism checks for a serverless worker on the smallest
    GPU its pools (less `exclude`) may give it: RunPod picks the GPU, so the worker must
    start on every one (the sandbox fails such a release as vLLM does, serverless_view)."""
    model = spec.models[0] if spec.models else None
    if model is None or model.engine not in ("vllm", "tgi"):
        return []
    out = []
    if spec.type == "QUEUE":
        # A queue-based endpoint hands jobs to a handler (runpod.serverless.start); an
        # HTTP server never takes them ("Handler required? Yes", docs.runpod.io/serverless/
        # endpoints/overview), so its jobs would wait IN_QUEUE for ever.
        out.append(f"endpoint {spec.name}: models start {model.engine}'s HTTP server, which "
                   "takes no jobs from a QUEUE endpoint's /run and /runsync (they need a "
                   "handler worker); set type: LOAD_BALANCER to serve the model over HTTP")
    gpus = [str(g["id"]) for g in snapshot_gpus() if g.get("pool") in spec.gpu.pools
            and g["id"] not in spec.gpu.exclude and g["id"] in GPU_MEMORY_GB]
    if not gpus:
        return out
    smallest = min(gpus, key=lambda g: GPU_MEMORY_GB[g])
    worker = replace(spec.as_pod_spec(), gpu=Gpu(smallest, spec.gpu.count))
    found = _memory(worker, model) + _flags(worker, model) + _parallel(worker, model)
    return out + [w.replace(f"pod {spec.name}:", f"endpoint {spec.name} (a worker may get "
                      f"{smallest}):", 1) for w in found]


def _cuda(spec: PodSpec) -> list[str]:
    facts = image_facts(spec.runtime.image)
    wanted = spec.gpu.min_cuda_version
    if facts is None or facts.cuda_floor is None:
        return []
    if wanted is None:
        return [f"pod {spec.name}: {spec.runtime.image} needs CUDA {facts.cuda_floor} on the "
                "host; without gpu.min_cuda_version RunPod may place it on an older host "
                f"where it never starts (billed). Set gpu.min_cuda_version: "
                f"\"{facts.cuda_floor}\""]
    if cuda_tuple(wanted) < cuda_tuple(facts.cuda_floor):
        return [f"pod {spec.name}: gpu.min_cuda_version {wanted} is below the CUDA "
                f"{facts.cuda_floor} that {spec.runtime.image} needs: on a {wanted} host the "
                "pod never gets a runtime (RunPod: 'unsatisfied condition: "
                f"cuda>={facts.cuda_floor}'). Set it to \"{facts.cuda_floor}\" or use an "
                "image built for older CUDA (vLLM -cu129 tags)"]
    return []


def _disk(spec: PodSpec) -> list[str]:
    facts = image_facts(spec.runtime.image)
    if facts is None or facts.unpacked_gb is None:
        return []
    need = facts.unpacked_gb
    what = f"the image ({facts.unpacked_gb:g} GB unpacked)"
    weights = weights_gb(spec.models[0].repo, spec.models[0].quant) if spec.models else None
    if weights and spec.volume is None and spec.network_volume is None:
        need += weights
        what += f" plus the weights (≈{weights:g} GB; no volume holds them)"
    if spec.disk_gb >= need:
        return []
    return [f"pod {spec.name}: disk_gb {spec.disk_gb} cannot hold {what}: the pod is created "
            f"and billed but never serves. Set disk_gb to at least {int(need) + 2}"]


def _memory(spec: PodSpec, model: Model) -> list[str]:
    per_gpu = GPU_MEMORY_GB.get(spec.gpu.type)
    if per_gpu is None:
        return []
    out = []
    weights = weights_gb(model.repo, model.quant)
    total = per_gpu * spec.gpu.count
    if weights is not None and weights > total * WEIGHTS_MEMORY_SHARE:
        out.append(f"pod {spec.name}: {model.repo} needs ≈{weights:g} GB for its weights, "
                   f"more than {spec.gpu.count} x {per_gpu} GB of {spec.gpu.type} can hold "
                   "with room for the KV cache; the server runs out of memory at start. Use "
                   "more or bigger GPUs, or a quantised (-AWQ/-GPTQ) checkpoint")
    if model.engine == "vllm" and model.max_seq_len is None and \
            per_gpu < VLLM_FULL_CONTEXT_GPU_GB:
        out.append(f"pod {spec.name}: vLLM without load.max_seq_len sizes its KV cache for the "
                   f"model's full context (131,072 tokens for Llama-3.1) and exits at start on "
                   f"a {per_gpu} GB GPU. Set load.max_seq_len (e.g. 8192)")
    return out


def _flags(spec: PodSpec, model: Model) -> list[str]:
    engine = model.engine or ""
    out = []
    for key, value in model.options.items():
        name = key if not (value is False and engine == "vllm") else f"no-{key}"
        if value is False and engine == "tgi":
            out.append(f"pod {spec.name}: options.{key}: false is left out: TGI's launcher "
                       f"has no --no-{key} form (false is its default)")
        elif not known_flag(engine, name):
            parser = "vLLM exits on" if engine == "vllm" else "TGI's launcher refuses"
            out.append(f"pod {spec.name}: options.{key}: --{name} is not a flag "
                       f"{'vllm serve' if engine == 'vllm' else 'text-generation-launcher'} "
                       f"is known to accept; {parser} an unknown flag at start. Check the "
                       "spelling against the server's --help")
    return out


def _parallel(spec: PodSpec, model: Model) -> list[str]:
    out = []
    if spec.gpu.count not in TP_SIZES:
        kind = "tensor parallel size" if model.engine == "vllm" else "shard count"
        out.append(f"pod {spec.name}: gpu.count {spec.gpu.count} becomes the {kind}, which "
                   "must divide the model's attention heads; only 1, 2, 4 and 8 divide "
                   "those of common models, so the server exits at start. Use 1, 2, 4 or 8")
    if model.engine == "tgi" and (tgi_major(spec.runtime.image) or 3) >= 3 and \
            spec.gpu.type.startswith(PRE_AMPERE_GPUS) and model.max_seq_len and \
            model.max_seq_len - 1 > TGI_DEFAULT_PREFILL and \
            "max-batch-prefill-tokens" not in model.options:
        out.append(f"pod {spec.name}: TGI 3 on {spec.gpu.type} has no prefill chunking and "
                   f"needs --max-batch-prefill-tokens >= --max-input-tokens "
                   f"({model.max_seq_len - 1}); the default {TGI_DEFAULT_PREFILL} makes it exit. "
                   f"Set options: {{max-batch-prefill-tokens: {model.max_seq_len - 1}}}")
    return out


def _args(spec: PodSpec) -> list[str]:
    """Hand-written args for a known serving image: flags its parser does not know."""
    engine = engine_of(spec.runtime.image)
    args = spec.runtime.args
    if engine is None or not args:
        return []
    argv = list(args) if isinstance(args, tuple) else shlex.split(args) if _splits(args) else []
    unknown = [a.split("=", 1)[0] for a in argv if a.startswith("--")
               and not known_flag(engine, a[2:].split("=", 1)[0].replace("_", "-"))]
    if not unknown:
        return []
    return [f"pod {spec.name}: runtime.args: {', '.join(unknown)} "
            f"{'is' if len(unknown) == 1 else 'are'} not known to "
            f"{'vllm serve' if engine == 'vllm' else 'text-generation-launcher'}; the server "
            "exits on a flag it does not know. Check the spelling against its --help"]


def _splits(text: str) -> bool:
    try:
        shlex.split(text)
    except ValueError:
        return False
    return True
