"""A null or partial mount in RunPod's answer never plans a replace, which would destroy
the pod's volume (CONTRACT §4)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plan.test_diff import applied, plan, summary


@pytest.mark.parametrize("mounts", [
    {"persistent": None},                              # null sub-field
    {"persistent": {"path": "/workspace"}},            # size left out
    {"persistent": {"size": None, "path": "/workspace"}},  # size null
    {"persistent": {"size": "20", "path": "/workspace"}},  # size as text ("20", as disk tolerates)
])
def test_compare_unknown_mount_data_never_replaces(mounts: dict[str, Any]) -> None:
    obs, state = applied(mounts=mounts)
    p = plan(observed=[obs], state=state)
    assert [a.action for a in p.actions] != ["replace"], summary(p)


# Mounts that cannot be right (CONTRACT §4; issue 22, found by bench/chaos.py): RunPod cannot
# remove a mount or change its kind, and a network mount is nothing without its volumeId.
@pytest.mark.parametrize("mounts", [
    {},                                                # `mounts: {}` in one list answer
    {"network": [{"path": "/workspace"}]},             # a network mount without its volumeId
    {"network": [{"volumeId": None, "path": "/workspace"}]},
])
def test_impossible_mounts_of_a_pod_state_created_with_a_volume_never_replace(
        mounts: dict[str, Any]) -> None:
    obs, state = applied(mounts=mounts)
    p = plan(observed=[obs], state=state)
    assert p.actions == (), summary(p)


def test_impossible_mounts_are_not_drift() -> None:
    from tests.plan.test_drift import findings

    obs, state = applied(mounts={})
    assert findings([obs], state) == []



def test_no_mount_on_a_pod_adopted_by_its_markers_never_replaces() -> None:
    # A lost create (found by its markers, not in state) was made with the volume: `{}`
    # in one answer must not turn its adoption into a replace (bench/chaos.py found it).
    obs, _ = applied(mounts={})
    p = plan(observed=[obs])
    assert "replace" not in [a.action for a in p.actions], summary(p)
