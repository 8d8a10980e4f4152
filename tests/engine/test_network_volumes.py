"""engine/network_volumes.py: a lost lease stops volume writes; deletes wait for the pods."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_runner.engine.fence import Fence, LeaseLostError
from gitops_runner.engine.network_volumes import around_pods, run_volume_actions
from gitops_runner.engine.writer import Writer
from gitops_runner.plan.network_volumes import VolumeAction
from gitops_runner.runpod.client import RunPodClient
from tests.fakes.clock import FakeClock

CREATE = VolumeAction("cache", "EU-RO-1", "create", "demo-prod-cache", ("new volume",), None, 20)
DELETE = VolumeAction("old", "EU-RO-1", "delete", "demo-prod-old", ("removed",), 20, None,
                      volume_id="v-old")


def writer(client: RunPodClient, lost: bool = False) -> Writer:
    fence = Fence(FakeClock(), stack="demo/prod")
    if lost:
        fence.lose("the lock was taken over")
    return Writer(client, fence)


def test_a_lost_lease_stops_before_any_volume_write(client: RunPodClient) -> None:
    journal: Any = None  # never reached: the fence refuses first
    outcomes = run_volume_actions(writer(client, lost=True), journal, [CREATE, CREATE],
                                  ("create",), lambda _line: None)
    assert [(o.ok, o.retry) for o in outcomes] == [(False, False)]
    assert client.list_network_volumes() == []


class _Failed:
    ok, retry = False, True


def test_deletes_wait_until_every_pod_action_worked(client: RunPodClient) -> None:
    journal: Any = None
    pods, volumes = around_pods(writer(client), journal, [DELETE], lambda _line: None,
                                lambda: [_Failed()])
    assert len(pods) == 1 and volumes == []  # the delete was not even tried


def test_a_lost_lease_stops_a_volume_rename(client: RunPodClient) -> None:
    vol = client.create_network_volume({"name": "demo-prod-old", "size": 20,
                                        "dataCenter": "EU-RO-1"})
    with pytest.raises(LeaseLostError):
        writer(client, lost=True).rename_volume(vol["id"], "demo-prod-new")
    assert [v["name"] for v in client.list_network_volumes()] == ["demo-prod-old"]
