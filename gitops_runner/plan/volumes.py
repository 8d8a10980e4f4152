"""What data a pod's termination destroys (CONTRACT §4 "Data loss is named and gated").

A pod volume lives and dies with its pod; a network volume outlives it. What RunPod
reports is used when it can be read, else what state says the pod was created with:
a misreported mount must not hide a loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_runner.plan.changes import Destroyed
from gitops_runner.plan.compare import int_or_none
from gitops_runner.plan.observed import ObservedPod
from gitops_runner.plan.statefile import PodRecord

POD_VOLUME = "pod volume"


def _persistent(mounts: Any) -> Mapping[str, Any] | None:
    if not isinstance(mounts, Mapping):
        return None
    entry = mounts.get("persistent")
    return entry if isinstance(entry, Mapping) and entry else None


def destroyed_volumes(pod: ObservedPod | None, record: PodRecord | None) -> tuple[Destroyed, ...]:
    """The pod volume that terminating this pod destroys, if it has one."""
    seen = _persistent(pod.mounts) if pod is not None else None
    applied = _persistent(record.spec.get("mounts")) if record is not None else None
    entry = seen if seen is not None and int_or_none(seen.get("size")) is not None else (
        applied or seen)
    if entry is None:
        return ()
    path = entry.get("path")
    return (Destroyed(POD_VOLUME, int_or_none(entry.get("size")), str(path) if path else None),)
