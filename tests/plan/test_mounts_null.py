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
