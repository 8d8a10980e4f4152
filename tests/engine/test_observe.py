"""observe(): impossible mounts in the list are re-read by id (CONTRACT §4)."""

from __future__ import annotations

from typing import Any

from gitops_runner.engine.observe import observe
from gitops_runner.plan.statefile import PodRecord, StateDoc

VOLUME = {"persistent": {"size": 100, "path": "/workspace"}}


class ListClient:
    """A RunPod client whose list misreports mounts; GET by id tells the truth."""

    def __init__(self, listed: dict[str, Any], by_id: dict[str, Any]) -> None:
        self.listed, self.by_id, self.gets = listed, by_id, 0

    def list_pods(self) -> list[dict[str, Any]]:
        return [dict(self.listed)]

    def get_pod(self, pod_id: str) -> dict[str, Any]:
        self.gets += 1
        return dict(self.by_id)

    def list_gpu_types(self) -> list[dict[str, Any]]:
        return []


def _state() -> StateDoc:
    record = PodRecord("pod1", "p-e-api", "h", "gpu", 1, 0.5, "t", "t", spec={"mounts": VOLUME})
    return StateDoc.empty("p/e").with_pod("api", record)


def test_observe_rereads_a_pod_whose_listed_mounts_cannot_be_right() -> None:
    client = ListClient({"id": "pod1", "mounts": {}}, {"id": "pod1", "mounts": VOLUME})
    seen = observe(client, with_catalog=False, states=[_state()])  # type: ignore[arg-type]
    assert client.gets == 1 and seen.pods == [{"id": "pod1", "mounts": VOLUME}]


def test_observe_keeps_the_list_answer_when_the_reread_is_no_better() -> None:
    client = ListClient({"id": "pod1", "mounts": {}}, {"id": "pod1", "mounts": {}})
    seen = observe(client, with_catalog=False, states=[_state()])  # type: ignore[arg-type]
    assert client.gets == 1 and seen.pods == [{"id": "pod1", "mounts": {}}]


def test_observe_does_not_reread_sane_mounts() -> None:
    client = ListClient({"id": "pod1", "mounts": VOLUME}, {})
    observe(client, with_catalog=False, states=[_state()])  # type: ignore[arg-type]
    assert client.gets == 0
