"""Every body the client sends and every body the simulator returns must match
RunPod's own OpenAPI v2 schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_runner.plan.desired import create_body, desired_pods
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import RunPodError
from gitops_runner.runpod.simulator.server import Exchange, Simulator
from gitops_runner.runpod.simulator.spec import openapi, validator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import FakeClock
from tests.plan.factories import stack_from_yaml

SHARED_SPEC = Path(__file__).resolve().parents[4] / "shared" / "reference" / \
    "runpod-openapi-v2.json"

REQUEST_SCHEMA = {("POST", "pods"): "CreatePodRequest", ("PATCH", "pod"): "UpdatePodRequest",
                  ("POST", "action"): "PodActionRequest"}
RESPONSE_SCHEMA = {("GET", "pods"): "ListPodsResponse", ("POST", "pods"): "Pod",
                   ("GET", "pod"): "Pod", ("PATCH", "pod"): "Pod", ("POST", "action"): "Pod",
                   ("GET", "catalog"): "ListGpuTypesResponse"}


def kind(path: str) -> str:
    parts = path.strip("/").split("/")
    if parts[1] == "catalog":
        return "catalog"
    return {2: "pods", 3: "pod", 4: "action"}[len(parts)]


def errors_for(schema: str, body: object) -> list[str]:
    return [e.message for e in validator(schema).iter_errors(body)]


def exercise(client: RunPodClient, clock: FakeClock) -> None:
    stack = stack_from_yaml("""
pods:
  - name: api
    gpu: {type: NVIDIA L4, count: 1, min_cuda_version: "12.4"}
    data_centers: [EU-RO-1]
    ports: ["8000/http", "22/tcp"]
    volume: {size_gb: 20, path: /workspace}
    runtime:
      image: vllm/vllm-openai:v0.6.3
      env: {TOKEN: {secret: TOKEN}, PLAIN: "1"}
    models: [{id: q, repo: Qwen/Qwen2.5-7B, load: {engine: vllm, max_seq_len: 4096}}]
    tags: {team: ml}
""")
    want = desired_pods(stack)[0]
    pod = client.create_pod(create_body(want, "NVIDIA L4", {"TOKEN": "s3cr3t-value"}))
    client.list_pods()
    client.list_gpu_types()
    client.list_gpu_types(availability=True, cloud="COMMUNITY", count=2)
    clock.advance(10)
    client.get_pod(pod["id"])
    client.update_pod(pod["id"], {"image": "vllm/vllm-openai:v0.6.4", "env": {"A": "b"}})
    clock.advance(10)
    client.pod_action(pod["id"], "stop")
    client.pod_action(pod["id"], "start")
    for bad in ({"name": "x", "image": "y", "gpu": {"id": "NVIDIA L4", "count": 1},
                 "bogus": 1}, {"name": "x", "image": "y", "gpu": {"id": "nope", "count": 1}}):
        with pytest.raises(RunPodError):
            client.create_pod(bad)
    with pytest.raises(RunPodError):
        client.pod_action(pod["id"], "start")
    client.delete_pod(pod["id"])
    with pytest.raises(RunPodError):
        client.get_pod(pod["id"])


def test_fidelity_requests_and_responses_match_openapi(sim: Simulator, client: RunPodClient,
                                                       clock: FakeClock) -> None:
    sim.exchanges = []
    exercise(client, clock)
    checked: list[Exchange] = []
    for ex in sim.exchanges:
        key = (ex.method, kind(ex.path))
        if ex.status < 400 and key in REQUEST_SCHEMA and ex.request:
            assert errors_for(REQUEST_SCHEMA[key], ex.request) == [], ex
        if ex.status >= 400:
            assert errors_for("ErrorResponse", ex.response) == [], ex
        elif ex.status != 204 and key in RESPONSE_SCHEMA:
            assert errors_for(RESPONSE_SCHEMA[key], ex.response) == [], ex
        checked.append(ex)
    statuses = {ex.status for ex in checked}
    assert {200, 201, 204, 400, 404, 409, 422} <= statuses


PACKAGED_SPEC = Path(__file__).resolve().parents[3] / "gitops_runner" / "runpod" / \
    "openapi-v2.json"


def test_fidelity_checks_against_the_packaged_spec() -> None:
    # The simulator and these tests validate against the copy shipped in the package,
    # so they hold in any checkout; it must carry every schema the checks above name.
    spec = openapi()
    assert spec == json.loads(PACKAGED_SPEC.read_text())
    schemas = spec["components"]["schemas"]
    for name in {*REQUEST_SCHEMA.values(), *RESPONSE_SCHEMA.values(), "ErrorResponse"}:
        assert name in schemas, name
    assert {"/v2/pods", "/v2/pods/{id}", "/v2/pods/{id}/action"} <= set(spec["paths"])
    if SHARED_SPEC.exists():  # beside the team's reference copy: the two are the same
        assert json.loads(SHARED_SPEC.read_text()) == spec


def test_fidelity_realistic_mode_answers_match_openapi(clock: FakeClock) -> None:
    world = World(clock=clock, settings=Settings.realistic(3.0))
    with Simulator(world, log_stream_seconds=0.5) as sim:
        sim.exchanges = []
        rp = RunPodClient(sim.url, "k", max_retry_seconds=5, backoff_base=0.01)
        body = {"name": "x", "image": "vllm/vllm-openai:v0.6.3", "args": "--port 8000",
                "gpu": {"id": "NVIDIA L4", "count": 1}, "ports": ["8000/http", "22/tcp"],
                "startSsh": True, "startJupyter": True}
        pod = rp.create_pod(body)
        with pytest.raises(RunPodError):
            rp.get_pod(pod["id"])  # not readable yet
        for step in (2.5, 1.0, 2.0, 3.0):  # booting, running, crashed, restarted
            clock.advance(step)
            rp.get_pod(pod["id"])
            rp.list_pods()
        rp.update_pod(pod["id"], {"args": "--model m"})
        world.capacity = {k: 0 for k in world.capacity}
        with pytest.raises(RunPodError):
            rp.create_pod(body)
        for ex in sim.exchanges:
            key = (ex.method, kind(ex.path))
            schema = "ErrorResponse" if ex.status >= 400 else RESPONSE_SCHEMA.get(key)
            if schema and ex.status != 204:
                assert errors_for(schema, ex.response) == [], ex
        assert {ex.status for ex in sim.exchanges} >= {200, 201, 400, 404}
