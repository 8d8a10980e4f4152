from __future__ import annotations

from gitops_runner.config import parse_stack
from gitops_runner.config.model import SecretRef

GOOD = b"""\
version: 1
project: {name: demo, data_centers: [EU-RO-1]}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: nginx}
endpoints:
  - name: chat
    type: LOAD_BALANCER
    gpu: {pools: [ADA_24, AMPERE_48], exclude: [NVIDIA GeForce RTX 4090], count: 2,
          min_cuda_version: "12.4"}
    workers: {min: 1, max: 3, idle_timeout_seconds: 5}
    scaling: {type: REQUEST_COUNT, value: 4}
    flashboot: true
    timeout: 600
    runtime: {image: "vllm/vllm-openai:v0.6.3", env: {HF_TOKEN: {secret: HF_TOKEN}}, disk_gb: 40}
    models: [{id: qwen, repo: Qwen/Qwen2.5-7B-Instruct, load: {engine: vllm}}]
    network_volume: {id: vol_abc}
"""

BAD = b"""\
version: 1
project: {name: demo}
pods:
  - name: chat
    gpu: {type: NVIDIA L4}
    runtime: {image: nginx}
endpoints:
  - name: chat
    type: LOAD_BALANCER
    gpu: {pools: [ADA_24]}
    workers: {min: 4, max: 3}
    scaling: {type: QUEUE_DELAY, value: 4}
    runtime: {image: img, env: {GITOPS_RUNNER_X: a, K: {secret: AWS_SECRET_ACCESS_KEY}}}
    colour: blue
"""


def test_every_endpoint_field_reaches_the_model() -> None:
    stack, problems = parse_stack("d.yaml", GOOD)
    assert problems == [] and stack is not None
    (ep,) = stack.endpoints
    assert (ep.type, ep.gpu.pools, ep.gpu.exclude, ep.gpu.count, ep.gpu.min_cuda_version) == (
        "LOAD_BALANCER", ("ADA_24", "AMPERE_48"), ("NVIDIA GeForce RTX 4090",), 2, "12.4")
    assert (ep.workers.min, ep.workers.max, ep.workers.idle_timeout_seconds) == (1, 3, 5)
    assert (ep.scaling.type, ep.scaling.value, ep.flashboot, ep.timeout_seconds) == (
        "REQUEST_COUNT", 4, True, 600)
    assert ep.runtime.env["HF_TOKEN"] == SecretRef("HF_TOKEN") and ep.disk_gb == 40
    assert ep.models[0].repo == "Qwen/Qwen2.5-7B-Instruct"
    assert ep.network_volume is not None and ep.network_volume.id == "vol_abc"
    assert ep.data_centers == ("EU-RO-1",)  # the project's default, as for pods


def test_endpoint_problems_have_line_and_column() -> None:
    _, problems = parse_stack("d.yaml", BAD)
    assert [str(p) for p in problems] == [
        "d.yaml:8:11: endpoints[0].name: 'chat' is also a pod's name; 'demo-dev-chat' must "
        "name one thing, rename one",
        "d.yaml:11:5: endpoints[0].workers: min (4) is above max (3)",
        "d.yaml:12:21: endpoints[0].scaling.type: a LOAD_BALANCER endpoint scales on "
        "REQUEST_COUNT only",
        "d.yaml:13:33: endpoints[0].runtime.env.GITOPS_RUNNER_X: names starting with "
        "GITOPS_RUNNER_ are reserved for gitops-runner's own markers",
        "d.yaml:13:65: endpoints[0].runtime.env.K: secret 'AWS_SECRET_ACCESS_KEY' names one of "
        "the tool's or the runner's own credentials; it may not be sent to an endpoint. Store "
        "the value under another name",
        "d.yaml:14:5: endpoints[0].colour: unknown key 'colour'; allowed keys here: "
        "data_centers, flashboot, gpu, models, name, network_volume, runtime, scaling, "
        "timeout, type, workers",
    ]


def test_a_preview_stack_carries_pods_only_never_endpoints() -> None:
    from gitops_runner.config.preview import preview_stack

    stack, problems = parse_stack("d.yaml", GOOD + b"""\
preview: {ttl_hours: 4, max_hourly_cost: 2}
""")
    assert problems == [] and stack is not None and stack.endpoints
    preview = preview_stack(stack, 7)
    assert preview.endpoints == () and [p.name for p in preview.pods] == ["api"]


def test_the_readme_example_declares_an_endpoint_that_validates() -> None:
    from tests.config.test_readme_example import readme_example

    stack, problems = parse_stack("README.md", readme_example())
    assert problems == [] and stack is not None
    (ep,) = stack.endpoints
    assert (ep.name, ep.type, ep.workers.min, ep.disk_gb) == ("chat", "LOAD_BALANCER", 0, 40)


def test_with_models_the_cuda_floor_defaults_to_the_image_s() -> None:
    stack, problems = parse_stack("d.yaml", GOOD.replace(b'min_cuda_version: "12.4"',
                                                         b"count: 2").replace(
        b"count: 2,\n          count: 2", b"count: 2").replace(b"v0.6.3", b"v0.20.1"))
    assert problems == [] and stack is not None
    assert stack.endpoints[0].gpu.min_cuda_version == "13.0"  # vLLM >= v0.20 (config/images.py)


def test_an_exclude_entry_that_is_no_gpu_id_is_an_error_naming_the_id_meant() -> None:
    _, problems = parse_stack("d.yaml", GOOD.replace(b"exclude: [NVIDIA GeForce RTX 4090]",
                                                     b"exclude: [RTX 4090]"))
    assert [str(p) for p in problems] == [
        "d.yaml:10:49: endpoints[0].gpu.exclude[0]: 'RTX 4090' is not a RunPod GPU id; did you "
        "mean 'NVIDIA GeForce RTX 4090'? (`gitops-runner gpus` lists every id)"]


def test_max_gpus_counts_the_endpoints_gpus_at_max_workers() -> None:
    # 1 pod GPU + 3 workers x 2 GPUs: the stack may hold 7 GPUs at once.
    fits = GOOD + b"guardrails: {max_gpus: 7}\n"
    assert parse_stack("deploy.yaml", fits)[1] == []
    over = GOOD + b"guardrails: {max_gpus: 6}\n"
    (problem,) = parse_stack("deploy.yaml", over)[1]
    assert str(problem).endswith("guardrails.max_gpus: the stack declares 7 GPUs (1 in pods, 6 "
                                 "in endpoints at max workers), over the limit of 6")
    assert problem.line == GOOD.count(b"\n") + 1
