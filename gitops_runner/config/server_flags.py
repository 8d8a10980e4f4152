"""The flags the serving images accept, and how their parsers treat the rest.

Sources (RUNPOD.md §8c, docs/runpod-notes.md "Serving images"):
- vLLM: `vllm serve --help` (vllm/engine/arg_utils.py EngineArgs.add_cli_args and
  vllm/entrypoints/openai/cli_args.py make_arg_parser, v0.6-v0.20). argparse exits on
  any unknown flag: "vllm serve: error: unrecognized arguments: --x". Boolean flags take
  the `--no-x` form (argparse BooleanOptionalAction, recent releases). A repeated flag:
  the last one wins. The list is ours and may lag new releases: validate only warns.
- TGI: text-generation-launcher (clap), docs/source/basic_tutorials/launcher.md plus the
  2.x/3.x additions (--max-input-tokens, --api-key, --payload-limit, ...). clap has no
  `--no-x` form and refuses a flag given twice ("error: the argument '--x <X>' cannot be
  used multiple times").
- Quantisation names: vLLM `--quantization` choices (vllm/model_executor/layers/
  quantization/__init__.py QUANTIZATION_METHODS); TGI `--quantize` possible values.
"""

from __future__ import annotations

VLLM_BOOLEAN_FLAGS = frozenset({
    "trust-remote-code", "enforce-eager", "enable-prefix-caching", "enable-chunked-prefill",
    "disable-log-stats", "disable-log-requests", "enable-log-requests", "enable-lora",
    "enable-auto-tool-choice", "disable-custom-all-reduce", "disable-sliding-window",
    "skip-tokenizer-init", "enable-expert-parallel", "enable-sleep-mode", "async-scheduling",
    "disable-frontend-multiprocessing", "disable-fastapi-docs", "enable-prompt-tokens-details",
    "return-tokens-as-token-ids", "headless", "enable-reasoning", "enable-lora-bias",
    "fully-sharded-loras", "disable-async-output-proc", "disable-cascade-attn",
    "enable-server-load-tracking", "enable-force-include-usage", "calculate-kv-scales",
    "disable-uvicorn-access-log", "allow-credentials", "enable-request-id-headers",
    "disable-mm-preprocessor-cache", "enable-eplb", "enable-ssl-refresh",
    "enable-tokenizer-info-endpoint", "use-v2-block-manager", "ray-workers-use-nsight",
    "multi-step-stream-outputs", "enable-prompt-adapter", "disable-chunked-mm-input",
    "enable-dbo", "data-parallel-hybrid-lb", "log-error-stack",
})
VLLM_VALUE_FLAGS = frozenset({
    "model", "served-model-name", "host", "port", "uds", "api-key", "tokenizer",
    "tokenizer-mode", "revision", "code-revision", "tokenizer-revision", "download-dir",
    "load-format", "config-format", "dtype", "kv-cache-dtype", "max-model-len",
    "guided-decoding-backend", "distributed-executor-backend", "pipeline-parallel-size",
    "tensor-parallel-size", "data-parallel-size", "data-parallel-size-local",
    "data-parallel-address", "data-parallel-rpc-port", "data-parallel-start-rank",
    "data-parallel-backend", "max-parallel-loading-workers", "block-size",
    "prefix-caching-hash-algo", "seed", "swap-space", "cpu-offload-gb",
    "gpu-memory-utilization", "kv-cache-memory", "num-gpu-blocks-override",
    "max-num-batched-tokens", "max-num-partial-prefills", "max-long-partial-prefills",
    "long-prefill-token-threshold", "max-num-seqs", "max-logprobs", "quantization",
    "rope-scaling", "rope-theta", "hf-token", "hf-overrides", "max-seq-len-to-capture",
    "max-cudagraph-capture-size", "cuda-graph-sizes", "tokenizer-pool-size",
    "limit-mm-per-prompt", "mm-processor-kwargs", "mm-encoder-tp-mode", "max-loras",
    "max-lora-rank", "lora-extra-vocab-size", "lora-dtype", "long-lora-scaling-factors",
    "max-cpu-loras", "lora-modules", "max-prompt-adapters", "max-prompt-adapter-token",
    "device", "num-scheduler-steps", "scheduler-delay-factor", "speculative-config",
    "model-loader-extra-config", "ignore-patterns", "preemption-mode",
    "qlora-adapter-name-or-path", "show-hidden-metrics-for-version", "otlp-traces-endpoint",
    "collect-detailed-traces", "scheduling-policy", "scheduler-cls", "override-pooler-config",
    "pooler-config", "compilation-config", "kv-transfer-config", "kv-events-config",
    "worker-cls", "worker-extension-cls", "generation-config", "override-generation-config",
    "additional-config", "reasoning-parser", "structured-outputs-config",
    "logits-processors", "allowed-local-media-path", "allowed-media-domains", "task",
    "uvicorn-log-level", "allowed-origins", "allowed-methods", "allowed-headers",
    "chat-template", "chat-template-content-format", "response-role", "ssl-keyfile",
    "ssl-certfile", "ssl-ca-certs", "ssl-cert-reqs", "root-path", "middleware",
    "tool-call-parser", "tool-parser-plugin", "tool-server", "log-config-file",
    "max-log-len", "api-server-count", "config", "prompt-adapters",
    "h11-max-incomplete-event-size", "h11-max-header-count", "safetensors-load-strategy",
})
VLLM_SHORT = {"-tp": "tensor-parallel-size", "-pp": "pipeline-parallel-size",
              "-dp": "data-parallel-size", "-q": "quantization", "-O": "compilation-config"}

TGI_BOOLEAN_FLAGS = frozenset({
    "trust-remote-code", "disable-custom-kernels", "json-output", "ngrok",
    "disable-grammar-support", "env", "enable-prefill-logprobs",
})
TGI_VALUE_FLAGS = frozenset({
    "model-id", "revision", "validation-workers", "sharded", "num-shard", "quantize",
    "speculate", "dtype", "kv-cache-dtype", "max-concurrent-requests", "max-best-of",
    "max-stop-sequences", "max-top-n-tokens", "max-input-tokens", "max-input-length",
    "max-total-tokens", "waiting-served-ratio", "max-batch-prefill-tokens",
    "max-batch-total-tokens", "max-waiting-tokens", "max-batch-size", "cuda-graphs",
    "hostname", "port", "prometheus-port", "shard-uds-path", "master-addr", "master-port",
    "huggingface-hub-cache", "weights-cache-override", "cuda-memory-fraction",
    "rope-scaling", "rope-factor", "otlp-endpoint", "otlp-service-name",
    "cors-allow-origin", "api-key", "watermark-gamma", "watermark-delta",
    "ngrok-authtoken", "ngrok-edge", "tokenizer-config-path", "lora-adapters",
    "usage-stats", "payload-limit", "max-client-batch-size", "graceful-termination-timeout",
})
TGI_SHORT = {"-p": "port", "-e": "env"}

VLLM_QUANT = frozenset({
    "aqlm", "awq", "awq_marlin", "deepspeedfp", "tpu_int8", "fp8", "ptpc_fp8", "fbgemm_fp8",
    "modelopt", "modelopt_fp4", "marlin", "bitblas", "gguf", "gptq_marlin_24", "gptq_marlin",
    "gptq_bitblas", "gptq", "compressed-tensors", "bitsandbytes", "qqq", "hqq",
    "experts_int8", "ipex", "quark", "moe_wna16", "torchao", "auto-round", "rtn", "inc",
    "mxfp4", "awq_triton", "squeezellm", "fp4",
})
TGI_QUANT = frozenset({
    "awq", "compressed-tensors", "eetq", "exl2", "gptq", "marlin", "bitsandbytes",
    "bitsandbytes-nf4", "bitsandbytes-fp4", "fp8",
})
QUANT_BY_ENGINE = {"vllm": VLLM_QUANT, "tgi": TGI_QUANT}
# Tensor parallelism splits the attention heads across GPUs: the count must divide them,
# and 1, 2, 4 and 8 divide those of every common model (vLLM: "Total number of attention
# heads (32) must be divisible by tensor parallel size (3)").
TP_SIZES = (1, 2, 4, 8)
# TGI's default --max-batch-prefill-tokens; without prefill chunking (pre-Ampere GPUs,
# some VLMs) TGI 3.x needs it >= --max-input-tokens (launcher main.rs).
TGI_DEFAULT_PREFILL = 4096
PRE_AMPERE_GPUS = ("Tesla V100", "Tesla T4", "NVIDIA GeForce RTX 20", "Quadro RTX",
                   "NVIDIA TITAN RTX")


# Flags TGI's launcher gained in 2.x: a 1.x launcher refuses them (RUNPOD.md §8c).
TGI_2_FLAGS = frozenset({"max-input-tokens", "api-key", "payload-limit", "usage-stats",
                         "kv-cache-dtype", "lora-adapters", "max-client-batch-size",
                         "enable-prefill-logprobs", "graceful-termination-timeout"})


def known_flag(engine: str, name: str, tgi_major: int | None = None) -> bool:
    """Does the engine's parser know `--name`? (A vLLM boolean also as `--no-name`.)"""
    if engine == "tgi" and tgi_major is not None and tgi_major < 2 and name in TGI_2_FLAGS:
        return False
    if engine == "vllm":
        base = name.removeprefix("no-") if name.startswith("no-") else None
        return name in VLLM_BOOLEAN_FLAGS | VLLM_VALUE_FLAGS or (
            base is not None and base in VLLM_BOOLEAN_FLAGS)
    return name in TGI_BOOLEAN_FLAGS | TGI_VALUE_FLAGS


def boolean_flag(engine: str, name: str) -> bool:
    flags = VLLM_BOOLEAN_FLAGS if engine == "vllm" else TGI_BOOLEAN_FLAGS
    return name in flags or (engine == "vllm" and name.startswith("no-")
                             and name[3:] in VLLM_BOOLEAN_FLAGS)


def quant_family(method: str) -> str:
    """awq_marlin -> awq, gptq_marlin_24 -> gptq: the checkpoint format a method reads."""
    return method.lower().split("_", 1)[0]


# The flags plan/serving.py derives from `models` (CONTRACT §4); an `options` entry that
# names one repeats it, which TGI (clap) refuses and vLLM silently lets override.
GENERATED_FLAGS = {
    "vllm": ("model", "served-model-name", "quantization", "max-model-len",
             "tensor-parallel-size", "host", "port"),
    "tgi": ("model-id", "quantize", "max-total-tokens", "max-input-tokens", "max-input-length",
            "num-shard", "hostname", "port"),
}
