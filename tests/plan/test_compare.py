"""compare(): what PATCH can fix in place and what needs a new pod (CONTRACT §4, v2 PATCH rules)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_runner.plan.compare import compare, mounts_unknown
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.observed import parse_pod
from tests.plan.factories import observed_from, stack_from_yaml

POD = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000], min_cuda_version: "12.4"}
    cloud_type: SECURE
    data_centers: [EU-RO-1, US-TX-3]
    ports: ["8000/http"]
    volume: {size_gb: 100, path: /workspace}
    runtime: {image: "img:1", env: {LEVEL: info}}
"""
NETWORK = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    network_volume: {id: vol-a, path: /data}
    runtime: {image: "img:1"}
"""


def differences(pods: str, **changes: Any):  # type: ignore[no-untyped-def]
    (want,) = desired_pods(stack_from_yaml(pods))
    raw = observed_from(want, {})
    raw.update(changes)
    return compare(parse_pod(raw), want, {}, set())


def test_compare_same_pod_has_no_differences() -> None:
    d = differences(POD)
    assert (d.patch, d.update, d.replace) == ([], [], [])


@pytest.mark.parametrize(("changes", "reason"), [
    ({"cloud": "COMMUNITY"}, "cloud_type: COMMUNITY -> SECURE"),
    ({"dataCenterId": "CA-MTL-1"}, "data_centers: pod is in CA-MTL-1, allowed now"),
    ({"cudaVersion": "12.1"}, "gpu.min_cuda_version: host has CUDA 12.1, below 12.4"),
    ({"gpu": {"id": "NVIDIA H100 80GB HBM3", "count": 1}}, "gpu: 'NVIDIA H100 80GB HBM3' -> "),
    ({"gpu": {"id": "NVIDIA GeForce RTX 4090", "count": 2}}, "gpu.count: 2 -> 1"),
    ({"mounts": {}}, "storage: no volume -> pod volume"),
])
def test_compare_placement_and_storage_changes_need_a_new_pod(changes: dict[str, Any],
                                                              reason: str) -> None:
    d = differences(POD, **changes)
    assert any(c.describe().startswith(reason) and c.forces_replace for c in d.replace), \
        d.replace
    assert d.patch == []


def test_compare_network_volume_id_change_needs_a_new_pod() -> None:
    d = differences(NETWORK, mounts={"network": [{"volumeId": "vol-b", "path": "/data"}]})
    assert [c.describe() for c in d.replace] == ["network_volume.id: 'vol-b' -> 'vol-a'"]


def test_compare_network_volume_path_change_is_patched() -> None:
    d = differences(NETWORK, mounts={"network": [{"volumeId": "vol-a", "path": "/old"}]})
    assert (d.patch, d.replace) == (["mounts"], [])


@pytest.mark.parametrize(("changes", "field"), [
    ({"image": "img:0"}, "image"),
    ({"ports": ["8000/http", "22/tcp"]}, "ports"),
    ({"mounts": {"persistent": {"size": 100, "path": "/data"}}}, "mounts"),
    # CONTRACT §4: RunPod grows a pod volume in place (a PATCH with the whole mount).
    ({"mounts": {"persistent": {"size": 50, "path": "/workspace"}}}, "mounts"),
    ({"disk": 10}, "disk"),
])
def test_compare_patchable_changes_are_in_place(changes: dict[str, Any], field: str) -> None:
    d = differences(POD, **changes)
    assert field in d.patch and d.replace == []


def test_compare_pod_on_a_fallback_gpu_is_converged() -> None:
    d = differences(POD, gpu={"id": "NVIDIA RTX A6000", "count": 1})
    assert d.replace == []


APPLIED_VOLUME = {"persistent": {"size": 100, "path": "/workspace"}}
APPLIED_NETWORK = {"network": [{"volumeId": "vol-a", "path": "/data"}]}


@pytest.mark.parametrize(("pods", "observed", "applied", "unknown"), [
    # CONTRACT §4: mounts that cannot be right are unknown, never a replace.
    (POD, {}, APPLIED_VOLUME, True),  # `{}` for a pod created with a volume
    (POD, {"persistent": {"path": "/workspace"}}, APPLIED_VOLUME, True),  # no size
    (POD, {"persistent": None}, None, True),  # null entry
    (POD, {"persistent": "100GB"}, None, True),  # a shape we cannot read
    (NETWORK, {"network": [{"path": "/data"}]}, None, True),  # network mount without its id
    (NETWORK, {"network": []}, None, True),
    (NETWORK, {}, APPLIED_NETWORK, True),
    # State knows nothing of a volume: `{}` is what RunPod says, a real difference.
    (POD, {}, None, False),
    (POD, {}, {}, False),
    (NETWORK, {"network": [{"volumeId": "vol-b", "path": "/data"}]}, APPLIED_NETWORK, False),
])
def test_compare_impossible_mounts_are_unknown(pods: str, observed: dict[str, Any],
                                               applied: dict[str, Any] | None,
                                               unknown: bool) -> None:
    (want,) = desired_pods(stack_from_yaml(pods))
    raw = {**observed_from(want, {}), "mounts": observed}
    d = compare(parse_pod(raw), want, {}, set(), None, applied)
    assert mounts_unknown(observed, applied) is unknown
    assert (d.replace == []) is unknown, d.replace


@pytest.mark.parametrize(("size", "patched", "error"), [
    (50, ["mounts"], False),  # grows in place: the whole mount is PATCHed
    (100, [], False),
    (200, [], True),  # shrink: a plan error naming the way out
])
def test_compare_volume_grows_in_place_and_never_shrinks(size: int, patched: list[str],
                                                         error: bool) -> None:
    d = differences(POD, mounts={"persistent": {"size": size, "path": "/workspace"}})
    assert d.patch == patched and d.replace == []
    assert bool(d.errors) is error
    if error:
        assert "cannot shrink" in d.errors[0] and "new pod entry" in d.errors[0]
    if patched:
        assert [c.describe() for c in d.update] == ["volume.size_gb: 50 -> 100"]
