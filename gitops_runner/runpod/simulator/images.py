"""Known serving images, checked the way their entrypoints check their flags.

Only the rules that decide whether the server starts are modelled; each error is
the line the real server prints before it exits (sources in docs/runpod-notes.md and
gitops_runner/config/server_flags.py, images.py):
- vllm/vllm-openai (ENTRYPOINT `vllm serve`, argparse): a model is required; an unknown
  flag exits ("unrecognized arguments"); --quantization must be one of its methods and
  match the checkpoint (an -AWQ/-GPTQ repo name stands in for its config.json; awq_marlin
  reads an AWQ checkpoint); --tensor-parallel-size must not exceed the GPUs and must divide
  the attention heads; without --max-model-len the KV cache for the full context must fit.
- TGI (`text-generation-launcher`, clap): no `--no-x` form, a flag given twice is refused;
  max_input_tokens < max_total_tokens (the total defaults to 4096 on TGI <= 2.4); --num-shard
  must not exceed the GPUs and must divide the heads; --quantize must be one of its methods
  and match the checkpoint; TGI 3 without prefill chunking (pre-Ampere GPUs) needs
  --max-batch-prefill-tokens >= --max-input-tokens. Listens on PORT=80 unless --port.
- Both: weights larger than the GPUs' memory run out of memory at start; weights that do not
  fit the container disk (no volume for the cache) fail the download.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from gitops_runner.config.images import engine_of, tgi_major, weights_gb
from gitops_runner.config.server_flags import (
    PRE_AMPERE_GPUS,
    QUANT_BY_ENGINE,
    TGI_DEFAULT_PREFILL,
    TGI_SHORT,
    TP_SIZES,
    VLLM_SHORT,
    boolean_flag,
    known_flag,
    quant_family,
)

TGI_DEFAULT_TOTAL = 4096
QUANT_MARKERS = ("awq", "gptq")
# The attention heads of the models we stand in for (Llama/Qwen: 32, 40, 64 ...) divide
# by 1, 2, 4, 8 but not 3, 5, 6, 7 [inferred].
HEADS = 32
# vLLM's KV cache for a full 131,072-token context (Llama-3.1) takes ~16 GiB per sequence
# in bf16; below this much free memory per GPU it exits (RUNPOD.md §8c).
FULL_CONTEXT = 131072
FULL_CONTEXT_GPU_GB = 48


@dataclass(frozen=True)
class Machine:
    """The GPUs the server sees and the disk it writes to."""

    gpus: int
    gpu_id: str = ""
    gpu_memory_gb: float = 80.0
    disk_free_gb: float | None = None  # None = weights go to a volume


@dataclass(frozen=True)
class ServerCheck:
    engine: str | None  # "vllm", "tgi", or None for an image we do not know
    error: str | None = None  # what the server prints before it exits
    port: int | None = None  # where it serves /health once up


def _parse(engine: str, argv: list[str],
           major: int | None = None) -> tuple[dict[str, str], str | None, str | None]:
    """(flags, positional, error): --flag value and --flag=value; a bare flag maps to ""."""
    short = VLLM_SHORT if engine == "vllm" else TGI_SHORT
    out: dict[str, str] = {}
    positional = None
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-"):
            if engine == "vllm" and positional is None and i == 0:
                positional = token
                i += 1
                continue
            return out, positional, _unknown(engine, token)
        key, eq, value = token.partition("=")
        name = short.get(key) or key.lstrip("-").replace("_", "-")
        if not known_flag(engine, name, major):
            return out, positional, _unknown(engine, key)
        if not eq and not boolean_flag(engine, name) and i + 1 < len(argv):
            value = argv[i + 1]
            i += 1
        if engine == "tgi" and name in out:
            return out, positional, (f"error: the argument '--{name} <{name.upper()}>' cannot "
                                     "be used multiple times")
        out[name] = value
        i += 1
    return out, positional, None


def _unknown(engine: str, token: str) -> str:
    if engine == "vllm":
        return f"vllm serve: error: unrecognized arguments: {token}"
    return (f"error: unexpected argument '{token}' found\n\nUsage: text-generation-launcher "
            "[OPTIONS]")


def _int(flags: Mapping[str, str], name: str) -> int | None:
    return int(flags[name]) if name in flags else None  # ValueError: "invalid int value"


def _marker(repo: str) -> str | None:
    found = [m for m in QUANT_MARKERS if m in repo.lower()]
    return found[0] if len(found) == 1 else None


def _quant_error(engine: str, repo: str, quant: str | None, flag: str) -> str | None:
    if not quant:
        return None
    if quant not in QUANT_BY_ENGINE[engine]:
        return f"error: argument --{flag}: invalid choice: '{quant}'"
    marker = _marker(repo)
    family = quant_family(quant)
    if marker is not None and family != marker:
        return (f"ValueError: Quantization method specified in the model config ({marker}) "
                f"does not match the quantization method specified in the `{flag}` "
                f"argument ({quant}).")
    if marker is None and family in QUANT_MARKERS:
        return f"ValueError: Cannot find the config file for {family}"
    return None


def _memory_error(repo: str, quant: str | None, machine: Machine, parts: int) -> str | None:
    weights = weights_gb(repo, quant)
    if weights is None:
        return None
    if machine.disk_free_gb is not None and weights > machine.disk_free_gb:
        return "OSError: [Errno 28] No space left on device (downloading the weights)"
    if weights > machine.gpu_memory_gb * max(parts, 1) * 0.9:
        return (f"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate the model "
                f"weights ({weights:g} GB) on {max(parts, 1)} GPU(s) of "
                f"{machine.gpu_memory_gb:g} GB")
    return None


def _heads_error(size: int, what: str) -> str | None:
    if size not in TP_SIZES and HEADS % size:
        return (f"ValueError: Total number of attention heads ({HEADS}) must be divisible by "
                f"{what} ({size}).")
    return None


def _vllm(flags: Mapping[str, str], positional: str | None, m: Machine) -> ServerCheck:
    model = flags.get("model") or positional
    port = _int(flags, "port") or 8000
    if not model:
        return ServerCheck("vllm", "vllm serve: error: the following arguments are required: "
                                   "model_tag", port)
    tp = _int(flags, "tensor-parallel-size") or 1
    if tp > m.gpus:
        return ServerCheck("vllm", f"RuntimeError: please set tensor_parallel_size ({tp}) to "
                                   f"less than max local gpu count ({m.gpus})", port)
    quant = flags.get("quantization")
    error = (_heads_error(tp, "tensor parallel size")
             or _quant_error("vllm", model, quant, "quantization")
             or _memory_error(model, quant, m, tp))
    if error is None and "max-model-len" not in flags and m.gpu_memory_gb < FULL_CONTEXT_GPU_GB:
        error = (f"ValueError: To serve at least one request with the models's max seq len "
                 f"({FULL_CONTEXT}), (16.00 GiB KV cache is needed, which is larger than the "
                 "available KV cache memory. Try increasing `gpu_memory_utilization` or "
                 "decreasing `max_model_len` when initializing the engine.")
    return ServerCheck("vllm", error, port)


def _tgi(flags: Mapping[str, str], env: Mapping[str, str], m: Machine,
         major: int | None) -> ServerCheck:
    port = _int(flags, "port") or int(env.get("PORT", "80"))
    model = flags.get("model-id") or env.get("MODEL_ID") or "bigscience/bloom-560m"
    total = _int(flags, "max-total-tokens") or TGI_DEFAULT_TOTAL
    given = _int(flags, "max-input-tokens") or _int(flags, "max-input-length")
    if given is not None and given >= total:
        return ServerCheck("tgi", f"Error: ArgumentValidation(\"`max_input_tokens`({given}) "
                                  f"must be < `max_total_tokens`({total})\")", port)
    shards = _int(flags, "num-shard")
    if shards is not None and shards > m.gpus:
        return ServerCheck("tgi", f"Error: --num-shard {shards} is more than the {m.gpus} "
                                  "visible GPU(s)", port)
    prefill = _int(flags, "max-batch-prefill-tokens") or TGI_DEFAULT_PREFILL
    if (major or 3) >= 3 and m.gpu_id.startswith(PRE_AMPERE_GPUS) and \
            given is not None and prefill < given:
        return ServerCheck("tgi", "Error: ArgumentValidation(\"`max_batch_prefill_tokens` "
                                  f"({prefill}) must be >= `max_input_tokens` ({given})\")", port)
    quant = flags.get("quantize")
    error = (_heads_error(shards or m.gpus, "the number of shards")
             or _quant_error("tgi", model, quant, "quantize")
             or _memory_error(model, quant, m, shards or m.gpus))
    return ServerCheck("tgi", error, port)


def check_server(image: str, args: str, env: Mapping[str, str], machine: Machine) -> ServerCheck:
    """How the image's server reacts to `args` on `machine`."""
    engine = engine_of(image)
    if engine is None:
        return ServerCheck(None)
    try:
        flags, positional, error = _parse(engine, shlex.split(args or ""), tgi_major(image))
        if error:
            return ServerCheck(engine, error, _int(flags, "port") or (
                8000 if engine == "vllm" else int(env.get("PORT", "80"))))
        if engine == "vllm":
            return _vllm(flags, positional, machine)
        return _tgi(flags, env, machine, tgi_major(image))
    except ValueError as exc:
        return ServerCheck(engine, f"error: invalid arguments ({exc})")
