"""Known serving images, checked the way their entrypoints check their flags.

Only the rules that decide whether the server starts are modelled; each error is
the line the real server prints before it exits (sources in docs/runpod-notes.md):
- vllm/vllm-openai (ENTRYPOINT `vllm serve`): a model is required (positional or
  --model); --tensor-parallel-size must not exceed the GPUs; --quantization must
  match the checkpoint (an -AWQ/-GPTQ repo name stands in for its config.json).
- TGI (`text-generation-launcher`): max_input_tokens < max_total_tokens (the total
  defaults to 4096 on TGI <= 2.4); --num-shard must not exceed the GPUs; --quantize
  must match the checkpoint. The image listens on PORT=80 unless --port says otherwise.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

VLLM_IMAGES = ("vllm/vllm-openai",)
TGI_IMAGES = ("ghcr.io/huggingface/text-generation-inference",
              "huggingface/text-generation-inference")
TGI_DEFAULT_TOTAL = 4096
QUANT_MARKERS = ("awq", "gptq")


@dataclass(frozen=True)
class ServerCheck:
    engine: str | None  # "vllm", "tgi", or None for an image we do not know
    error: str | None = None  # what the server prints before it exits
    port: int | None = None  # where it serves /health once up


def _repository(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name.removeprefix("docker.io/")


def _flags(argv: list[str]) -> dict[str, str]:
    """--flag value and --flag=value pairs; a bare flag maps to ""."""
    out: dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token.startswith("-"):
            key, eq, value = token.partition("=")
            if not eq and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                value = argv[i + 1]
                i += 1
            out[key.replace("_", "-")] = value
        i += 1
    return out


def _int(flags: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        if name in flags:
            return int(flags[name])  # ValueError is argparse's/clap's "invalid int value"
    return None


def _marker(repo: str) -> str | None:
    found = [m for m in QUANT_MARKERS if m in repo.lower()]
    return found[0] if len(found) == 1 else None


def _quant_error(repo: str, quant: str | None, flag: str) -> str | None:
    if not quant:
        return None
    marker = _marker(repo)
    if marker is not None and not quant.lower().startswith(marker):
        return (f"ValueError: Quantization method specified in the model config ({marker}) "
                f"does not match the quantization method specified in the `{flag}` "
                f"argument ({quant}).")
    if marker is None and quant.lower() in QUANT_MARKERS:
        return f"ValueError: Cannot find the config file for {quant}"
    return None


def _vllm(flags: Mapping[str, str], positional: str | None, gpus: int) -> ServerCheck:
    model = flags.get("--model") or positional
    port = _int(flags, "--port") or 8000
    if not model:
        return ServerCheck("vllm", "vllm serve: error: the following arguments are required: "
                                   "model_tag", port)
    tp = _int(flags, "--tensor-parallel-size", "-tp") or 1
    if tp > gpus:
        return ServerCheck("vllm", f"RuntimeError: please set tensor_parallel_size ({tp}) to "
                                   f"less than max local gpu count ({gpus})", port)
    quant = flags.get("--quantization") or flags.get("-q")
    return ServerCheck("vllm", _quant_error(model, quant, "quantization"), port)


def _tgi(flags: Mapping[str, str], env: Mapping[str, str], gpus: int) -> ServerCheck:
    port = _int(flags, "--port") or int(env.get("PORT", "80"))
    model = flags.get("--model-id") or env.get("MODEL_ID") or "bigscience/bloom-560m"
    total = _int(flags, "--max-total-tokens") or TGI_DEFAULT_TOTAL
    given = _int(flags, "--max-input-tokens", "--max-input-length")
    if given is not None and given >= total:
        return ServerCheck("tgi", f"Error: ArgumentValidation(\"`max_input_tokens`({given}) "
                                  f"must be < `max_total_tokens`({total})\")", port)
    shards = _int(flags, "--num-shard")
    if shards is not None and shards > gpus:
        return ServerCheck("tgi", f"Error: --num-shard {shards} is more than the {gpus} "
                                  "visible GPU(s)", port)
    return ServerCheck("tgi", _quant_error(model, flags.get("--quantize"), "quantize"), port)


def check_server(image: str, args: str, env: Mapping[str, str], gpus: int) -> ServerCheck:
    """How the image's server reacts to `args` on a pod with `gpus` GPUs."""
    repository = _repository(image)
    engine = ("vllm" if repository.startswith(VLLM_IMAGES) else
              "tgi" if repository.startswith(TGI_IMAGES) else None)
    if engine is None:
        return ServerCheck(None)
    try:
        argv = shlex.split(args or "")
        flags = _flags(argv)
        if engine == "vllm":
            positional = argv[0] if argv and not argv[0].startswith("-") else None
            return _vllm(flags, positional, gpus)
        return _tgi(flags, env, gpus)
    except ValueError as exc:
        return ServerCheck(engine, f"error: invalid arguments ({exc})")
