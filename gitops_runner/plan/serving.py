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

from gitops_runner.config.images import API_KEY_ENV, tgi_major
from gitops_runner.config.model import Model, PodSpec, SecretRef
from gitops_runner.config.server_flags import quant_family

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
        # TGI < 2 knows only the legacy --max-input-length (RUNPOD.md §8b, §8c).
        major = tgi_major(spec.runtime.image)
        name = "--max-input-length" if major is not None and major < 2 else "--max-input-tokens"
        argv += ["--max-total-tokens", str(total), name, str(max(total - 1, 1))]
    if spec.gpu.count > 1:
        argv += ["--num-shard", str(spec.gpu.count)]
    return argv + ["--hostname", "0.0.0.0", "--port", str(serving_port(spec))]  # noqa: S104


ENGINES = {"vllm": _vllm, "tgi": _tgi}
# The API key goes in the server's env (API_KEY_ENV): there it stays a secret reference;
# in args it would show in every plan.


def generated_flags(spec: PodSpec) -> list[str]:
    """The flags derived from `models` (without options), e.g. ["model", "port"]."""
    if not spec.models:
        return []
    build = ENGINES.get(spec.models[0].engine or "")
    if build is None:
        return []
    return [a[2:] for a in build(spec.models[0], spec) if a.startswith("--")]


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
            # TGI's clap parser has no --no-x form: false is its default, the flag omitted.
            if model.engine != "tgi":
                argv.append(f"--no-{key}")
        else:
            argv += [f"--{key}", _text(value)]
    return shlex.join(argv)


def model_env(spec: PodSpec) -> Mapping[str, str | SecretRef]:
    """Env added for a served model: the Hugging Face cache on the pod's volume, and the
    server's API key.

    Without HF_HOME on a volume the weights land on the container disk, which every PATCH
    and restart wipes, so each restart downloads them again.
    """
    if not spec.models:
        return {}
    out: dict[str, str | SecretRef] = {}
    model = spec.models[0]
    key_env = API_KEY_ENV.get(model.engine or "")
    if model.api_key is not None and key_env and key_env not in spec.runtime.env:
        out[key_env] = model.api_key
    mount = spec.volume or spec.network_volume
    if mount is not None and HF_HOME not in spec.runtime.env:
        out[HF_HOME] = mount.path.rstrip("/") + "/huggingface"
    return out


def _marker(repo: str) -> str | None:
    lowered = repo.lower()
    found = [m for m in QUANT_MARKERS if m in lowered]
    return found[0] if len(found) == 1 else None


def model_warnings(spec: PodSpec) -> list[str]:
    """Quantisation settings the serving image is likely to reject at start."""
    out = []
    for i, model in enumerate(spec.models):
        where = f"pod {spec.name}: models[{i}] ({model.repo})"
        quant = quant_family(model.quant or "")
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
