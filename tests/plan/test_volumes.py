"""What a termination destroys (CONTRACT §4), from RunPod's answer or else from state."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_runner.plan.changes import Destroyed
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.statefile import PodRecord
from gitops_runner.plan.volumes import destroyed_volumes

APPLIED = {"mounts": {"persistent": {"size": 100, "path": "/workspace"}}}


def record(spec: dict[str, Any]) -> PodRecord:
    return PodRecord("pod1", "p-e-api", "h", "gpu", 1, 0.5, "t", "t", spec=spec)


@pytest.mark.parametrize(("mounts", "spec", "expected"), [
    ({"persistent": {"size": 50, "path": "/data"}}, {}, (Destroyed("pod volume", 50, "/data"),)),
    ({"persistent": {"size": "50.0", "path": "/data"}}, {}, (Destroyed("pod volume", 50, "/data"),)),
    # A misreport never hides the loss: state says the pod has a volume.
    ({}, APPLIED, (Destroyed("pod volume", 100, "/workspace"),)),
    ({"persistent": None}, APPLIED, (Destroyed("pod volume", 100, "/workspace"),)),
    ({"persistent": {"path": "/workspace"}}, APPLIED, (Destroyed("pod volume", 100, "/workspace"),)),
    ({"network": [{"volumeId": "v1", "path": "/n"}]}, {}, ()),  # a network volume outlives it
    ({}, {}, ()),
])
def test_volumes_destroyed(mounts: dict[str, Any], spec: dict[str, Any],
                           expected: tuple[Destroyed, ...]) -> None:
    pod = parse_pod({"id": "pod1", "name": "p-e-api", "mounts": mounts})
    assert destroyed_volumes(pod, record(spec)) == expected
