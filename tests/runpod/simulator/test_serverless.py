"""The simulator's /v2/templates and /v2/serverless: shapes per the OpenAPI spec, releases
rolling workers in virtual time, a bad image's release failing while the old one serves."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import RunPodError
from gitops_runner.runpod.serverless import ServerlessApi
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.spec import validator
from gitops_runner.runpod.simulator.world import World
from tests.fakes.clock import FakeClock

BOOT = 7  # the conftest world: provisioning 2 s + starting 5 s

RESPONSES = {("GET", "templates"): "ListTemplatesResponse", ("POST", "templates"): "Template",
             ("PATCH", "template"): "Template", ("GET", "serverless"): "ListEndpointsResponse",
             ("POST", "serverless"): "Endpoint", ("PATCH", "endpoint"): "Endpoint",
             ("GET", "endpoint"): "Endpoint", ("GET", "workers"): "ListEndpointWorkersResponse",
             ("GET", "releases"): "ListEndpointReleasesResponse"}


def kind(path: str) -> str:
    parts = path.strip("/").split("/")
    if len(parts) == 4:
        return parts[3]
    return parts[1] if len(parts) == 2 else {"templates": "template"}.get(parts[1], "endpoint")


def errors(schema: str, body: Any) -> list[str]:
    return [e.message for e in validator(schema).iter_errors(body)]


def make(api: ServerlessApi, image: str = "acme/worker:1", minimum: int = 2) -> tuple[str, str]:
    tpl = api.create_template({"name": "demo-dev-chat", "image": image, "serverless": True,
                               "env": {"GITOPS_RUNNER_STACK": "demo/dev"}, "disk": 20,
                               "startSsh": False, "startJupyter": False})
    ep = api.create_endpoint({"name": "demo-dev-chat", "type": "QUEUE", "templateId": tpl["id"],
                              "gpu": {"pools": ["ADA_24"], "count": 1},
                              "workers": {"min": minimum, "max": 3},
                              "scaling": {"type": "QUEUE_DELAY", "queueDelay": 4}})
    return tpl["id"], ep["id"]


def statuses(api: ServerlessApi, ep: str) -> list[tuple[str, int]]:
    return sorted((w["status"], w["version"]) for w in api.workers(ep)["workers"])


def test_answers_match_the_openapi_spec(sim: Simulator, client: RunPodClient,
                                        clock: FakeClock) -> None:
    sim.exchanges = []
    api = ServerlessApi(client)
    tpl, ep = make(api)
    api.list_templates()
    api.list_endpoints()
    clock.advance(3)
    api.workers(ep)
    api.update_template(tpl, {"image": "acme/worker:2"})
    api.update_endpoint(ep, {"templateId": tpl})
    api.releases(ep)
    api.get_endpoint(ep)
    with pytest.raises(RunPodError):
        api.delete_template(tpl)  # bound to the endpoint
    with pytest.raises(RunPodError):
        api.create_endpoint({"name": "x", "type": "QUEUE", "bogus": 1})
    for ex in sim.exchanges:
        schema = "ErrorResponse" if ex.status >= 400 else RESPONSES.get((ex.method,
                                                                           kind(ex.path)))
        if schema and ex.status != 204:
            assert errors(schema, ex.response) == [], ex
    assert {ex.status for ex in sim.exchanges} >= {200, 201, 400, 422}


def test_a_template_edit_alone_changes_no_worker(client: RunPodClient, clock: FakeClock) -> None:
    api = ServerlessApi(client)
    tpl, ep = make(api)
    clock.advance(BOOT)
    api.update_template(tpl, {"image": "acme/worker:2"})
    assert api.get_endpoint(ep)["image"] == "acme/worker:1"  # a snapshot, not a link
    assert api.releases(ep)["endpointVersion"] == 1


def test_a_release_rolls_workers_one_at_a_time(client: RunPodClient, clock: FakeClock) -> None:
    api = ServerlessApi(client)
    tpl, ep = make(api)
    assert statuses(api, ep) == [("INITIALIZING", 1)] * 2
    clock.advance(BOOT)
    assert statuses(api, ep) == [("IDLE", 1)] * 2
    api.update_template(tpl, {"image": "acme/worker:2"})
    api.update_endpoint(ep, {"templateId": tpl})
    rollout = api.releases(ep)["rollout"]
    assert rollout["inProgress"] and rollout["workersOnLatest"] == 1  # one booting
    assert statuses(api, ep) == [("IDLE", 1), ("IDLE", 1), ("INITIALIZING", 2)]
    clock.advance(BOOT)
    assert statuses(api, ep) == [("IDLE", 1), ("IDLE", 2), ("INITIALIZING", 2)]
    clock.advance(BOOT)
    body = api.releases(ep)
    assert body["rollout"] == {"inProgress": False, "workersOnLatest": 2, "workersTotal": 2,
                               "percentOnLatest": 100}
    assert [r["version"] for r in body["releases"]] == [2, 1]
    assert body["releases"][0]["diff"][0]["field"] == "template.image"


def test_a_rescale_starts_no_release(client: RunPodClient, clock: FakeClock) -> None:
    api = ServerlessApi(client)
    _, ep = make(api)
    clock.advance(BOOT)
    api.update_endpoint(ep, {"workers": {"max": 5}, "scaling": {"type": "QUEUE_DELAY",
                                                                "queueDelay": 2}})
    assert api.releases(ep)["endpointVersion"] == 1
    assert statuses(api, ep) == [("IDLE", 1)] * 2


def test_a_bad_image_release_fails_and_the_old_release_keeps_serving(
        client: RunPodClient, clock: FakeClock) -> None:
    api = ServerlessApi(client)
    tpl, ep = make(api)
    clock.advance(BOOT)
    api.update_template(tpl, {"image": "acme/bad-worker:2"})
    api.update_endpoint(ep, {"templateId": tpl})
    clock.advance(BOOT * 5)
    assert statuses(api, ep) == [("IDLE", 1), ("IDLE", 1), ("UNHEALTHY", 2)]
    assert api.releases(ep)["rollout"]["inProgress"]


def test_a_queue_endpoint_running_a_plain_vllm_server_never_becomes_ready(
        client: RunPodClient, clock: FakeClock) -> None:
    """A queue worker needs a handler that takes jobs; vLLM's own HTTP server has none
    (docs.runpod.io/serverless/endpoints/overview: "Handler required? Yes")."""
    api = ServerlessApi(client)
    _, ep = make(api, image="vllm/vllm-openai:v0.8.5", minimum=1)
    clock.advance(BOOT * 5)
    assert statuses(api, ep) == [("UNHEALTHY", 1)]
    _, worker = make(api, image="runpod/worker-v1-vllm:v2.5.0", minimum=1)  # a handler
    clock.advance(BOOT * 2)
    assert statuses(api, worker) == [("IDLE", 1)]


def test_no_stock_in_the_pools_throttles_workers(world: World, client: RunPodClient,
                                                 clock: FakeClock) -> None:
    world.capacity = {k: 0 for k in world.capacity}
    api = ServerlessApi(client)
    _, ep = make(api)
    clock.advance(BOOT)
    assert statuses(api, ep) == [("THROTTLED", 1)] * 2
    assert api.workers(ep)["summary"]["throttled"] == 2


def test_deleting_the_endpoint_deletes_its_bound_template(client: RunPodClient) -> None:
    api = ServerlessApi(client)
    _, ep = make(api, minimum=0)
    assert api.workers(ep)["workers"] == []
    api.delete_endpoint(ep)
    assert api.list_templates() == [] and api.list_endpoints() == []


def test_sending_pools_without_exclusions_clears_them(client: RunPodClient) -> None:
    api = ServerlessApi(client)
    _, ep = make(api)
    api.update_endpoint(ep, {"gpu": {"pools": ["ADA_24"], "excludedTypes": ["NVIDIA L4"]}})
    assert api.get_endpoint(ep)["gpu"]["excludedTypes"] == ["NVIDIA L4"]
    api.update_endpoint(ep, {"gpu": {"pools": ["ADA_24", "AMPERE_48"]}})
    assert api.get_endpoint(ep)["gpu"]["excludedTypes"] == []


def test_demand_runs_workers_up_to_max(world: World, client: RunPodClient,
                                       clock: FakeClock) -> None:
    api = ServerlessApi(client)
    _, ep = make(api, minimum=1)
    world.serverless.endpoints[ep].demand = 5
    clock.advance(BOOT)
    assert statuses(api, ep) == [("RUNNING", 1)] * 3  # capped at workers.max
    assert api.workers(ep)["summary"] == {"running": 3, "idle": 0, "initializing": 0,
                                          "throttled": 0, "unhealthy": 0, "total": 3}


def test_a_cuda_floor_places_workers_only_on_hosts_that_have_it(client: RunPodClient,
                                                                clock: FakeClock) -> None:
    api = ServerlessApi(client)
    _, ep = make(api, minimum=1)
    api.update_endpoint(ep, {"gpu": {"minCudaVersion": "13.0"}})
    clock.advance(BOOT * 3)
    (worker,) = [w for w in api.workers(ep)["workers"] if not w["isStale"]]
    assert worker["dataCenterId"] == "US-KS-2"  # the one data center with CUDA 13 hosts
    api.update_endpoint(ep, {"dataCenterIds": ["EU-RO-1"]})
    assert {w["status"] for w in api.workers(ep)["workers"]} == {"THROTTLED"}
