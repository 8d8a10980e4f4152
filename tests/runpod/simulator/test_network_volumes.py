"""The simulator's network volumes: /v2/network-volumes per the v2 spec, and the
data-center pinning of a pod that mounts one (RUNPOD.md §8b, §8c)."""

from __future__ import annotations

import json

import pytest

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    CandidateRejectedError,
    CapacityError,
    InvalidRequestError,
    NotFoundError,
)
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.world import World

POD = {"name": "demo-dev-api", "image": "nginx:1", "gpu": {"id": "NVIDIA L4", "count": 1}}


def test_network_volume_crud_follows_the_spec(client: RunPodClient) -> None:
    vol = client.create_network_volume({"name": "cache", "size": 50, "dataCenter": "EU-RO-1"})
    assert vol == {"id": vol["id"], "name": "cache", "size": 50, "dataCenter": "EU-RO-1",
                   "type": "STANDARD"}
    assert client.update_network_volume(vol["id"], {"size": 80})["size"] == 80
    assert client.list_network_volumes() == [{**vol, "size": 80}]
    client.delete_network_volume(vol["id"])
    assert client.list_network_volumes() == []
    with pytest.raises(NotFoundError):
        client.delete_network_volume(vol["id"])


def test_network_volume_never_shrinks_and_bad_bodies_are_422(client: RunPodClient) -> None:
    vol = client.create_network_volume({"name": "cache", "size": 50, "dataCenter": "EU-RO-1",
                                        "type": "HIGH_PERFORMANCE"})
    with pytest.raises(InvalidRequestError, match="cannot be reduced") as shrink:
        client.update_network_volume(vol["id"], {"size": 40})
    assert shrink.value.status == 400
    with pytest.raises(InvalidRequestError) as caught:
        client.update_network_volume(vol["id"], {"type": "STANDARD"})  # immutable: not in PATCH
    assert caught.value.status == 422
    with pytest.raises(InvalidRequestError):
        client.create_network_volume({"name": "x", "size": 5, "dataCenter": "EU-RO-1"})
    assert client.list_network_volumes()[0]["size"] == 50


def test_a_pod_with_a_network_volume_lands_only_in_its_data_center(
        client: RunPodClient, world: World) -> None:
    vol = client.create_network_volume({"name": "cache", "size": 50, "dataCenter": "US-TX-3"})
    mounted = {**POD, "mounts": {"network": [{"volumeId": vol["id"], "path": "/w"}]}}
    # Asked for another data center: refused the way a capacity miss is (no distinct error).
    with pytest.raises(CapacityError):
        client.create_pod({**mounted, "dataCenterIds": ["EU-RO-1"]})
    # No stock in the volume's data center: refused, never placed elsewhere.
    key = catalog.capacity_key("NVIDIA L4", "US-TX-3", "SECURE")
    free, world.capacity[key] = world.capacity[key], 0
    with pytest.raises(CapacityError):
        client.create_pod(mounted)
    world.capacity[key] = free
    assert client.create_pod(mounted)["dataCenterId"] == "US-TX-3"
    with pytest.raises(CandidateRejectedError, match="Secure Cloud"):
        client.create_pod({**mounted, "cloud": "COMMUNITY"})
    with pytest.raises(NotFoundError):
        client.create_pod({**POD, "mounts": {"network": [{"volumeId": "nope", "path": "/w"}]}})


def test_volumes_survive_the_sandbox_store(world: World, client: RunPodClient) -> None:
    client.create_network_volume({"name": "cache", "size": 50, "dataCenter": "EU-RO-1"})
    copy = World()
    copy.load_dict(json.loads(json.dumps(world.to_dict())))
    assert list(copy.network_volumes.values()) == list(world.network_volumes.values())


def test_weights_download_at_the_stated_rate_unless_cached_on_the_volume(
        client: RunPodClient, world: World) -> None:
    from gitops_runner.runpod.simulator.network_volumes import weights_gb

    assert weights_gb("Qwen/Qwen2.5-7B-Instruct") == 14.0
    assert weights_gb("Qwen/Qwen2.5-7B-Instruct-AWQ") == 3.5
    world.settings.weights_gbps = 0.5
    vol = client.create_network_volume({"name": "cache", "size": 50, "dataCenter": "EU-RO-1"})
    served = {**POD, "args": "--model Qwen/Qwen2.5-7B-Instruct --port 8000"}
    mounted = {**served, "env": {"HF_HOME": "/w/huggingface"},
               "mounts": {"network": [{"volumeId": vol["id"], "path": "/w"}]}}
    first = world.pods[client.create_pod(mounted)["id"]]
    second = world.pods[client.create_pod(mounted)["id"]]
    bare = world.pods[client.create_pod(served)["id"]]
    assert (first.healthy_after, second.healthy_after, bare.healthy_after) == (28.0, 0.0, 28.0)
