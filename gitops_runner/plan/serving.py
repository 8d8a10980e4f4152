"""Serving args and env derived from a pod's `models` entry (CONTRACT §4).

The flags follow the real entrypoints, so the pod starts and serves the model:
- vLLM's OpenAI server (`vllm/vllm-openai`): `--model`, `--served-model-name`,
  `--quantization`, `--max-model-len`, `--tensor-parallel-size`, `--host`, `--port`.
  Without `--tensor-parallel-size` vLLM uses one GPU however many the pod has.
- TGI's `text-generation-launcher`: `--model-id`, `--quantize`, `--max-total-tokens`,
  `--max-input-tokens`, `--num-shard`, `--hostname`, `--port`. The launcher exits
  unless max_input_tokens < max_total_tokens, so both are sent (input = total - 1).
Sources are listed in docs/runpod-notes.md.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from gitops_runner.config.model import Model, PodSpec

DEFAULT_PORT = 8000
HF_HOME = "HF_HOME"
# Repo-name markers of pre-quantised checkpoints; vLLM and TGI read the method from
# the checkpoint and refuse a --quantization/--quantize that contradicts it.
QUANT_MARKERS = ("awq", "gptq")


def serving_port(spec: PodSpec) -> int:
    http = [int(p.split("/")[0]) for p in spec.ports if p.endswith("/http")]
    return http[0] if http else DEFAULT_PORT


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _vllm(model: Model, spec: PodSpec) -> list[str]:
    argv = ["--model", model.repo, "--served-model-name", model.id]
    if model.quant:
        argv += ["--quantization", model.quant]
    if model.max_seq_len:
        argv += ["--max-model-len", str(model.max_seq_len)]
    if spec.gpu.count > 1:
        argv += ["--tensor-parallel-size", str(spec.gpu.count)]
    return argv + ["--host", "0.0.0.0", "--port", str(serving_port(spec))]  # noqa: S104


def _tgi(model: Model, spec: PodSpec) -> list[str]:
    argv = ["--model-id", model.repo]
    if model.quant:
        argv += ["--quantize", model.quant]
    if model.max_seq_len:
        total = model.max_seq_len
        # max_seq_len 1 cannot leave room for an input token; the launcher would exit.
        argv += ["--max-total-tokens", str(total), "--max-input-tokens", str(max(total - 1, 1))]
    if spec.gpu.count > 1:
        argv += ["--num-shard", str(spec.gpu.count)]
    return argv + ["--hostname", "0.0.0.0", "--port", str(serving_port(spec))]  # noqa: S104


ENGINES = {"vllm": _vllm, "tgi": _tgi}


def model_args(spec: PodSpec) -> str | None:
    """Serving args derived from `models` when runtime.args is empty, else None."""
    if spec.runtime.args or not spec.models:
        return None
    model = spec.models[0]
    build = ENGINES.get(model.engine or "")
    if build is None:
        return None
    argv = build(model, spec)
    for key, value in model.options.items():
        if value is True:
            argv.append(f"--{key}")
        elif value is False:
            argv.append(f"--no-{key}")
        else:
            argv += [f"--{key}", _text(value)]
    return shlex.join(argv)


def model_env(spec: PodSpec) -> Mapping[str, str]:
    """Env added for a served model: the Hugging Face cache on the pod's volume.

    Without it the weights land on the container disk, which every PATCH and
    restart wipes, so each restart downloads them again.
    """
    if not spec.models or HF_HOME in spec.runtime.env:
        return {}
    mount = spec.volume or spec.network_volume
    if mount is None:
        return {}
    return {HF_HOME: mount.path.rstrip("/") + "/huggingface"}


def _marker(repo: str) -> str | None:
    lowered = repo.lower()
    found = [m for m in QUANT_MARKERS if m in lowered]
    return found[0] if len(found) == 1 else None


def model_warnings(spec: PodSpec) -> list[str]:
    """Quantisation settings the serving image is likely to reject at start."""
    out = []
    for i, model in enumerate(spec.models):
        where = f"pod {spec.name}: models[{i}] ({model.repo})"
        quant = (model.quant or "").lower()
        marker = _marker(model.repo)
        if quant in QUANT_MARKERS and marker != quant:
            out.append(f"{where}: load.quant is '{model.quant}' but the repo name does not say "
                       f"{quant.upper()}; a checkpoint that is not {quant.upper()}-quantised "
                       "makes the server exit at start. Use an "
                       f"-{quant.upper()} repo or remove load.quant")
        elif quant and marker is not None and quant != marker:
            out.append(f"{where}: the repo name says {marker.upper()} but load.quant is "
                       f"'{model.quant}'; the server refuses a method that contradicts the "
                       f"checkpoint. Set load.quant: {marker} or remove it (it is detected)")
    return out
