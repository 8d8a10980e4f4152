"""engine/network_volumes.py: a lost lease stops volume writes; deletes wait for the pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_runner.engine.fence import Fence
from gitops_runner.engine.journal import Journal
from gitops_runner.engine.network_volumes import around_pods, run_volume_actions
from gitops_runner.engine.writer import Writer
from gitops_runner.plan.network_volumes import VolumeAction
from gitops_runner.plan.statefile import StateDoc, VolumeRecord
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.state.local import LocalStateStore
from tests.fakes.clock import ScaledClock

CREATE = VolumeAction("cache", "EU-RO-1", "create", "demo-prod-cache", ("new volume",), None, 20)
DELETE = VolumeAction("old", "EU-RO-1", "delete", "demo-prod-old", ("removed",), 20, None,
                      volume_id="v-old")


def writer(client: RunPodClient, lost: bool = False) -> Writer:
    fence = Fence(ScaledClock(factor=1), stack="demo/prod")
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


def test_a_move_renames_on_runpod_and_rekeys_state_before_the_pods(
        client: RunPodClient, tmp_path: Path) -> None:
    vol = client.create_network_volume({"name": "demo-prod-weights", "size": 20,
                                        "dataCenter": "EU-RO-1"})
    store = LocalStateStore(str(tmp_path), "demo", "prod")
    doc = StateDoc.empty("demo/prod").with_volume("demo-prod-weights", VolumeRecord(
        vol["id"], "weights", "EU-RO-1", 20, "STANDARD", "2026-11-01T00:00:00Z",
        "2026-11-01T00:00:00Z"))
    journal = Journal(store, doc, store.write(doc, None), ScaledClock(factor=1))
    move = VolumeAction("cache", "EU-RO-1", "move", "demo-prod-cache", ("moved",), 20, 20,
                        volume_id=vol["id"], moved_from="weights",
                        old_runpod_name="demo-prod-weights")
    seen_by_pods: list[Any] = []
    pods, volumes = around_pods(writer(client), journal, [move], lambda _line: None,
                                lambda: seen_by_pods.append(dict(journal.doc.volumes)) or [])
    assert [(v.action, v.ok) for v in volumes] == [("move", True)]
    (before_pods,) = seen_by_pods
    assert {k: (r.id, r.volume) for k, r in before_pods.items()} == {
        "demo-prod-cache": (vol["id"], "cache")}
    assert [(v["id"], v["name"]) for v in client.list_network_volumes()] == [
        (vol["id"], "demo-prod-cache")]
    stored = store.read().doc
    assert stored is not None and set(stored.volumes) == {"demo-prod-cache"}
