from __future__ import annotations

import json

import pytest
import requests

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    AuthError,
    CandidateRejectedError,
    CapacityError,
    CreateOutcomeUnknownError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
    RateLimitedError,
)
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Fault, World
from tests.fakes.clock import FakeClock

BODY = {"name": "demo-dev-api", "image": "nginx:1", "gpu": {"id": "NVIDIA L4", "count": 1},
        "ports": ["8000/http", "22/tcp"], "env": {"A": "1"}}


def boot(clock: FakeClock) -> None:
    clock.advance(8)


def test_sim_requires_bearer_token(sim: Simulator) -> None:
    resp = requests.get(f"{sim.url}/v2/pods", timeout=5)
    assert resp.status_code == 401
    assert resp.headers["Content-Type"] == "application/problem+json"
    assert resp.json() == {"title": "Unauthorized", "status": 401,
                           "detail": "missing bearer token"}


def test_sim_rejects_unknown_fields_like_runpod(client: RunPodClient) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.create_pod({**BODY, "dataCenterId": "EU-RO-1", "imageName": "x"})
    assert caught.value.status == 422
    assert caught.value.errors == ["$: additional properties 'dataCenterId', 'imageName' "
                                   "not allowed"]


@pytest.mark.parametrize("change, detail", [
    ({"gpu": {"id": "NVIDIA L4", "count": 1, "minCudaVersion": "12.1",
              "allowedCudaVersions": ["12.4"]}}, "mutually exclusive"),
    ({"mounts": {"persistent": {"size": 20, "path": "/w"},
                 "network": [{"volumeId": "v", "path": "/n"}]}}, "mutually exclusive"),
])
def test_sim_create_cross_field_rules_are_400(client: RunPodClient, change: dict[str, object],
                                              detail: str) -> None:
    # Any 400 on create moves to the next candidate (RunPod's spec), so it is typed so.
    with pytest.raises(CandidateRejectedError) as caught:
        client.create_pod({**BODY, **change})
    assert caught.value.status == 400 and detail in caught.value.detail


def test_sim_lifecycle_follows_the_clock(client: RunPodClient, clock: FakeClock) -> None:
    pod = client.create_pod(BODY)
    assert pod["status"] == "PROVISIONING" and pod["runtime"] is None
    assert pod["ssh"]["direct"] is None and pod["startedAt"] is None and pod["cost"] > 0
    clock.advance(3)
    assert client.get_pod(pod["id"])["status"] == "STARTING"
    clock.advance(5)
    running = client.get_pod(pod["id"])
    assert running["status"] == "RUNNING"
    assert {p["private"] for p in running["runtime"]["ports"]} == {8000, 22}
    assert running["ssh"]["direct"]["username"] == "root"
    assert running["actions"] == ["stop", "restart", "terminate"]


def test_sim_stop_then_start_gives_new_ports_and_zero_cost(client: RunPodClient,
                                                           clock: FakeClock) -> None:
    pod = client.create_pod(BODY)
    boot(clock)
    before = client.get_pod(pod["id"])["runtime"]["ports"]
    stopped = client.pod_action(pod["id"], "stop")
    assert stopped is not None and stopped["status"] == "EXITED" and stopped["cost"] == 0.0
    assert stopped["runtime"] is None
    with pytest.raises(InvalidTransitionError):
        client.pod_action(pod["id"], "stop")
    client.pod_action(pod["id"], "start")
    boot(clock)
    after = client.get_pod(pod["id"])["runtime"]["ports"]
    assert [p["public"] for p in after] != [p["public"] for p in before]


def test_sim_reset_action_is_422(client: RunPodClient) -> None:
    pod = client.create_pod(BODY)
    with pytest.raises(InvalidRequestError) as caught:
        client.pod_action(pod["id"], "reset")
    assert caught.value.errors == ["$.action: value must be one of 'start', 'stop', 'restart', "
                                   "'terminate'"]


def test_sim_terminate_and_delete_then_404(client: RunPodClient) -> None:
    pod = client.create_pod(BODY)
    assert client.pod_action(pod["id"], "terminate") is None
    with pytest.raises(NotFoundError):
        client.get_pod(pod["id"])
    with pytest.raises(NotFoundError):
        client.delete_pod(pod["id"])
    assert client.list_pods() == []


def test_sim_patch_is_partial_and_restarts_container(client: RunPodClient,
                                                     clock: FakeClock) -> None:
    pod = client.create_pod({**BODY, "mounts": {"persistent": {"size": 20, "path": "/w"}}})
    boot(clock)
    patched = client.update_pod(pod["id"], {"image": "nginx:2"})
    assert patched["image"] == "nginx:2" and patched["env"] == {"A": "1"}
    assert patched["status"] == "PROVISIONING"
    moved = client.update_pod(pod["id"], {"mounts": {"persistent": {"size": 20, "path": "/x"}}})
    assert moved["mounts"]["persistent"]["path"] == "/x"
    renamed = client.update_pod(pod["id"], {"name": "other"})
    assert renamed["name"] == "other"


@pytest.mark.parametrize("mounts, detail", [
    ({"network": []}, "must not be empty"),
    ({"network": [{"volumeId": "v", "path": "/n"}]}, "cannot add a network mount"),
])
def test_sim_patch_mount_rules(client: RunPodClient, mounts: dict[str, object],
                               detail: str) -> None:
    pod = client.create_pod({**BODY, "mounts": {"persistent": {"size": 20, "path": "/w"}}})
    with pytest.raises(InvalidRequestError) as caught:
        client.update_pod(pod["id"], {"mounts": mounts})
    assert detail in caught.value.detail


def test_sim_patch_partial_mount_is_422(client: RunPodClient) -> None:
    pod = client.create_pod({**BODY, "mounts": {"persistent": {"size": 20, "path": "/w"}}})
    with pytest.raises(InvalidRequestError) as caught:
        client.update_pod(pod["id"], {"mounts": {"persistent": {"path": "/x"}}})
    assert caught.value.status == 422


def test_sim_patch_network_volume_id_is_immutable(client: RunPodClient) -> None:
    client.create_network_volume({"name": "n", "size": 10, "dataCenter": "EU-RO-1"})
    vol = client.list_network_volumes()[0]["id"]
    BODY_V = {**BODY, "mounts": {"network": [{"volumeId": vol, "path": "/n"}]}}
    pod = client.create_pod(BODY_V)
    with pytest.raises(InvalidRequestError, match="cannot change"):
        client.update_pod(pod["id"], {"mounts": {"network": [{"volumeId": "v2", "path": "/n"}]}})


def _unused(client: RunPodClient) -> None:
    pod = client.create_pod({**BODY, "mounts": {"network": [{"volumeId": "v1", "path": "/n"}]}})
    with pytest.raises(InvalidRequestError, match="cannot change"):
        client.update_pod(pod["id"], {"mounts": {"network": [{"volumeId": "v2", "path": "/n"}]}})


def test_sim_capacity_model_per_gpu_dc_cloud(client: RunPodClient, world: World) -> None:
    for dc, _ in catalog.DATA_CENTERS:
        world.capacity[catalog.capacity_key("NVIDIA L4", dc, "SECURE")] = 0
    world.capacity[catalog.capacity_key("NVIDIA L4", "US-TX-3", "SECURE")] = 1
    with pytest.raises(CapacityError):
        client.create_pod({**BODY, "dataCenterIds": ["EU-RO-1"]})
    pod = client.create_pod(BODY)
    assert pod["dataCenterId"] == "US-TX-3"
    with pytest.raises(CapacityError) as caught:
        client.create_pod(BODY)
    assert "no longer any instances" in caught.value.detail
    client.delete_pod(pod["id"])
    assert client.create_pod(BODY)["dataCenterId"] == "US-TX-3"


def test_sim_unknown_gpu_is_a_capacity_error(client: RunPodClient) -> None:
    with pytest.raises(CapacityError):
        client.create_pod({**BODY, "gpu": {"id": "RTX 4090", "count": 1}})


def test_sim_min_cuda_filters_hosts(client: RunPodClient) -> None:
    pod = client.create_pod({**BODY, "gpu": {"id": "NVIDIA L4", "count": 1,
                                             "minCudaVersion": "12.8"}})
    assert pod["dataCenterId"] == "EU-RO-1"
    # CUDA 13 hosts are rare: one data center has them (RUNPOD.md §8c).
    pod = client.create_pod({**BODY, "gpu": {"id": "NVIDIA L4", "count": 1,
                                             "minCudaVersion": "13.0"}})
    assert pod["dataCenterId"] == "US-KS-2"
    with pytest.raises(CapacityError):
        client.create_pod({**BODY, "gpu": {"id": "NVIDIA L4", "count": 1,
                                           "minCudaVersion": "13.1"}})


def test_sim_rate_limit_headers_and_429(sim: Simulator, world: World) -> None:
    world.settings.rate_per_minute = 2
    headers = {"Authorization": "Bearer k"}
    first = requests.get(f"{sim.url}/v2/pods", headers=headers, timeout=5)
    assert first.headers["RateLimit"].startswith('"minute";r=1;t=')
    assert first.headers["RateLimit-Policy"] == ('"minute";q=2;w=60, "hour";q=30000;w=3600, '
                                                 '"day";q=500000;w=86400')
    requests.get(f"{sim.url}/v2/pods", headers=headers, timeout=5)
    third = requests.get(f"{sim.url}/v2/pods", headers=headers, timeout=5)
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) >= 1
    assert third.json()["detail"] == "rate limit exceeded for the minute window"


def test_sim_client_waits_out_the_rate_limit(sim: Simulator, world: World,
                                             clock: FakeClock) -> None:
    world.settings.rate_per_minute = 1
    rp = RunPodClient(sim.url, "k", sleep=clock.sleep, clock=clock, max_retry_seconds=300)
    rp.list_pods()
    rp.list_pods()  # paced: waits for the window instead of hitting 429 repeatedly
    assert rp.request_count <= 3


def test_sim_rate_limit_exhausted_raises(sim: Simulator, world: World) -> None:
    world.settings.rate_per_minute = 1
    rp = RunPodClient(sim.url, "k", sleep=lambda s: None, max_retries=2)
    rp.list_pods()
    with pytest.raises(RateLimitedError):
        rp.list_pods()


def test_sim_fault_5xx_then_success(client: RunPodClient, world: World) -> None:
    world.faults.append(Fault("GET /v2/pods", "5xx", times=2, status=503))
    assert client.list_pods() == []
    assert world.requests.count(("GET", "/v2/pods")) == 3


def test_sim_create_then_500_leaves_a_pod_that_relisting_finds(client: RunPodClient,
                                                               world: World) -> None:
    world.faults.append(Fault("POST /v2/pods", "create_then_500"))
    with pytest.raises(CreateOutcomeUnknownError):
        client.create_pod(BODY)
    assert [p["name"] for p in client.list_pods()] == ["demo-dev-api"]


@pytest.mark.parametrize(("kind", "shown"), [
    ("mounts_empty", {}),
    ("mounts_no_id", {"network": [{"path": "/workspace"}]}),
    ("mounts_no_size", {"persistent": {"path": "/workspace"}}),
])
def test_sim_mount_misreport_shows_once_in_a_list_answer(client: RunPodClient, world: World,
                                                         kind: str, shown: object) -> None:
    pod = client.create_pod({**BODY, "mounts": {"persistent": {"size": 20,
                                                               "path": "/workspace"}}})
    world.faults.append(Fault("GET /v2/pods", kind))
    assert [p["mounts"] for p in client.list_pods()] == [shown]
    # Only the answer misreports: the pod keeps its volume, and the next read shows it.
    assert client.get_pod(pod["id"])["mounts"]["persistent"]["size"] == 20
    assert client.list_pods()[0]["mounts"] == {"persistent": {"size": 20,
                                                              "path": "/workspace"}}


def test_sim_stuck_and_error_pods(client: RunPodClient, world: World, clock: FakeClock) -> None:
    stuck = client.create_pod(BODY)
    world.pods[stuck["id"]].stuck = True
    bad = client.create_pod({**BODY, "image": "org/bad-image:1"})
    clock.advance(3600)
    assert client.get_pod(stuck["id"])["status"] == "STARTING"
    errored = client.get_pod(bad["id"])
    assert errored["status"] == "ERROR" and errored["actions"] == ["start", "terminate"]


def test_sim_read_only_key_gets_403_on_writes(sim: Simulator, world: World) -> None:
    world.settings.read_only_keys = ["ro"]
    rp = RunPodClient(sim.url, "ro")
    assert rp.list_pods() == []
    with pytest.raises(AuthError):
        rp.create_pod(BODY)


def test_sim_catalog_prices_and_include_rule(sim: Simulator, client: RunPodClient) -> None:
    gpus = {g["id"]: g for g in client.list_gpu_types()}
    assert gpus["NVIDIA GeForce RTX 4090"]["price"] == {"secure": 0.69, "community": 0.34,
                                                       "serverless": 1.12}
    assert gpus["NVIDIA GeForce RTX 4090"]["pool"] == "ADA_24"
    resp = requests.get(f"{sim.url}/v2/catalog/gpus?include=AVAILABILITY",
                        headers={"Authorization": "Bearer k"}, timeout=5)
    assert resp.status_code == 400


def test_sim_catalog_availability_is_the_stock_creates_consume(sim: Simulator,
                                                               client: RunPodClient) -> None:
    for dc, _ in catalog.DATA_CENTERS:
        sim.world.capacity[catalog.capacity_key("NVIDIA L4", dc, "SECURE")] = 0
    sim.world.capacity[catalog.capacity_key("NVIDIA L4", "US-TX-3", "SECURE")] = 9

    def l4(**params: object) -> dict[str, object]:
        gpus = client.list_gpu_types(availability=True, **params)  # type: ignore[arg-type]
        return {g["id"]: g for g in gpus}["NVIDIA L4"]

    assert [(d["id"], d["availability"]) for d in l4()["dataCenters"]] == [
        ("EU-RO-1", "NONE"), ("US-TX-3", "MEDIUM"), ("CA-MTL-1", "NONE"), ("US-GA-2", "NONE"),
        ("US-KS-2", "NONE")]
    assert l4()["cudaVersions"] == [{"version": "12.4", "available": True},
                                    {"version": "12.6", "available": False},
                                    {"version": "12.8", "available": False},
                                    {"version": "13.0", "available": False}]
    client.create_pod({**BODY, "gpu": {"id": "NVIDIA L4", "count": 2}})
    assert l4()["availability"] == "LOW"  # 7 left
    assert l4(count=8)["availability"] == "NONE"
    assert l4(cloud="COMMUNITY")["availability"] == "HIGH"
    # A type the cloud does not offer lists no data center for it (spec: omitted).
    nvl = {g["id"]: g for g in client.list_gpu_types(availability=True, cloud="COMMUNITY")}
    assert "dataCenters" not in nvl["NVIDIA H100 NVL"]
    with pytest.raises(CapacityError):
        client.create_pod({**BODY, "cloud": "COMMUNITY", "gpu": {"id": "NVIDIA H100 NVL",
                                                                 "count": 1}})


@pytest.mark.parametrize("query, status", [
    ("product=POD", 400), ("count=2", 400), ("include=AVAILABILITY&product=POD&cloud=SPOT", 422),
    ("include=AVAILABILITY&product=POD&cudaVersions=12.8&minCudaVersion=12", 400),
    ("include=AVAILABILITY&product=POD&minCudaVersion=12.6", 200),
])
def test_sim_catalog_query_rules(sim: Simulator, query: str, status: int) -> None:
    resp = requests.get(f"{sim.url}/v2/catalog/gpus?{query}",
                        headers={"Authorization": "Bearer k"}, timeout=5)
    assert resp.status_code == status
    if status == 200:
        l4 = {g["id"]: g for g in resp.json()["gpus"]}["NVIDIA L4"]
        assert [d["id"] for d in l4["dataCenters"]] == ["EU-RO-1", "CA-MTL-1", "US-GA-2",
                                                        "US-KS-2"]


def test_sim_logs_stream_as_sse_with_tail(sim: Simulator, client: RunPodClient,
                                          clock: FakeClock) -> None:
    pod = client.create_pod(BODY)
    boot(clock)
    lines = [e["line"] for e in client.stream_logs(pod["id"], idle_seconds=0.5)]
    assert lines == ["Pulling image nginx:1", "Image nginx:1 pulled; starting container",
                     "Serving on ports 8000/http, 22/tcp"]
    last = [e["line"] for e in client.stream_logs(pod["id"], tail=1, idle_seconds=0.5)]
    assert last == ["Serving on ports 8000/http, 22/tcp"]
    raw = requests.get(f"{sim.url}/v2/pods/{pod['id']}/logs?tail=1",
                       headers={"Authorization": "Bearer k"}, timeout=5, stream=True)
    first = next(raw.iter_lines(chunk_size=1, decode_unicode=True))
    assert first.startswith("id: ") and raw.headers["Content-Type"] == "text/event-stream"
    raw.close()
    with pytest.raises(NotFoundError):
        list(client.stream_logs("nope", idle_seconds=0.5))


def test_sim_proxy_answers_502_until_running(sim: Simulator, client: RunPodClient,
                                             world: World, clock: FakeClock) -> None:
    pod = client.create_pod(BODY)
    url = sim.proxy_url.format(pod_id=pod["id"], port=8000) + "/health"
    assert requests.get(url, timeout=5).status_code == 502
    boot(clock)
    assert requests.get(url, timeout=5).status_code == 200
    world.pods[pod["id"]].healthy_after = None
    assert requests.get(url, timeout=5).status_code == 502
    assert requests.get(sim.proxy_url.format(pod_id=pod["id"], port=22), timeout=5) \
        .status_code == 404


def test_sim_world_survives_a_round_trip_to_disk(world: World, client: RunPodClient) -> None:
    client.create_pod(BODY)
    copy = World(clock=world.clock)
    copy.load_dict(json.loads(json.dumps(world.to_dict())))
    assert copy.list_pods() == world.list_pods()
