"""The simulator's hosts, stop/start and referenced resources, as RUNPOD.md §8c says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    CapacityError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
)
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import FakeClock

BODY = {"name": "demo-dev-api", "image": "img:1", "gpu": {"id": "NVIDIA L4", "count": 1},
        "ports": ["8000/http"]}


@pytest.fixture
def world(clock: FakeClock) -> World:
    return World(clock=clock, settings=Settings(check_hosts=True, check_references=True,
                                                provisioning_seconds=1, starting_seconds=2))


@pytest.fixture
def rp(world: World) -> Iterator[RunPodClient]:
    with Simulator(world) as sim:
        yield RunPodClient(sim.url, "k", max_retry_seconds=1, backoff_base=0.01)


def test_stop_gives_the_gpu_back_and_start_needs_it_again(rp: RunPodClient, world: World,
                                                          clock: FakeClock) -> None:
    pod = rp.create_pod(BODY)
    key = f"NVIDIA L4|{pod['dataCenterId']}|SECURE"
    free = world.capacity[key]
    clock.advance(10)
    rp.pod_action(pod["id"], "stop")
    assert world.capacity[key] == free + 1
    rp.pod_action(pod["id"], "start")
    assert world.capacity[key] == free
    clock.advance(10)
    rp.pod_action(pod["id"], "stop")
    world.tenant_takes_gpu(pod["id"])
    with pytest.raises(CapacityError, match="not enough free GPUs on the host machine"):
        rp.pod_action(pod["id"], "start")


def test_start_after_the_reclaim_time_comes_back_with_zero_gpus(rp: RunPodClient, world: World,
                                                                clock: FakeClock) -> None:
    world.settings.host_reclaim_seconds = 8 * 3600
    world.settings.no_gpu_start = "zero"
    pod = rp.create_pod(BODY)
    clock.advance(10)
    rp.pod_action(pod["id"], "stop")
    clock.advance(12 * 3600)
    started = rp.pod_action(pod["id"], "start")
    assert started is not None and started["gpu"]["count"] == 0


def test_locked_pod_refuses_stop_and_a_restarting_patch(rp: RunPodClient,
                                                        clock: FakeClock) -> None:
    pod = rp.create_pod(BODY)
    clock.advance(10)
    rp.update_pod(pod["id"], {"locked": True})
    with pytest.raises(InvalidTransitionError, match="locked"):
        rp.pod_action(pod["id"], "stop")
    with pytest.raises(InvalidTransitionError, match="locked"):
        rp.update_pod(pod["id"], {"env": {"A": "2"}})
    rp.update_pod(pod["id"], {"locked": False})
    rp.pod_action(pod["id"], "stop")


def test_cuda_floor_above_the_host_never_gets_a_runtime(rp: RunPodClient, world: World,
                                                        clock: FakeClock) -> None:
    pod = rp.create_pod({**BODY, "image": "vllm/vllm-openai:latest", "disk": 40,
                         "dataCenterIds": ["EU-RO-1"]})
    clock.advance(60)
    seen = rp.get_pod(pod["id"])
    assert seen["status"] == "RUNNING" and seen["runtime"] is None and seen["cost"] > 0
    lines = [line for _, line in world.log_lines(pod["id"]) or []]
    assert any("unsatisfied condition: cuda>=13.0" in line for line in lines)
    ok = rp.create_pod({**BODY, "image": "vllm/vllm-openai:latest", "disk": 40,
                        "gpu": {"id": "NVIDIA L4", "count": 1, "minCudaVersion": "13.0"}})
    clock.advance(60)
    assert rp.get_pod(ok["id"])["cudaVersion"] == "13.0"


def test_missing_image_is_422_and_unknown_volume_404(rp: RunPodClient) -> None:
    with pytest.raises(InvalidRequestError) as missing:
        rp.create_pod({**BODY, "image": "vllm/vllm-openai:v9.9.9"})
    assert missing.value.status == 422 and "manifest unknown" in str(missing.value)
    with pytest.raises(NotFoundError):
        rp.create_pod({**BODY, "mounts": {"network": [{"volumeId": "nope", "path": "/w"}]}})
    with pytest.raises(NotFoundError, match="template"):
        rp.create_pod({**BODY, "templateId": "tpl-unknown"})


def test_network_volume_pins_the_pod_to_its_data_center(rp: RunPodClient, world: World) -> None:
    world.network_volumes["vol1"] = {"id": "vol1", "name": "v", "size": 10,
                                     "dataCenter": "US-TX-3", "type": "STANDARD"}
    mounts = {"network": [{"volumeId": "vol1", "path": "/workspace"}]}
    assert rp.create_pod({**BODY, "mounts": mounts})["dataCenterId"] == "US-TX-3"
    with pytest.raises(CapacityError, match="network volume vol1 is in US-TX-3"):
        rp.create_pod({**BODY, "name": "other", "mounts": mounts, "dataCenterIds": ["EU-RO-1"]})
