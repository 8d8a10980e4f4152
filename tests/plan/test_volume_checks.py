"""plan/volume_checks.py: a lost volume create is found by its intent; nothing else is."""

from __future__ import annotations

from gitops_runner.plan.network_volumes import ObservedVolume
from gitops_runner.plan.statefile import VolumeIntent
from gitops_runner.plan.volume_checks import data_center_moved, lost_creates

NAME = "demo-prod-cache"


def vol(vid: str, name: str = NAME, dc: str = "EU-RO-1") -> ObservedVolume:
    return ObservedVolume(vid, name, 20, dc, "STANDARD")


def test_only_a_new_unrecorded_same_named_volume_in_its_data_center_is_the_lost_create() -> None:
    intent = VolumeIntent("cache", "EU-RO-1", ("theirs",), "2026-12-04T00:00:00Z")
    seen = [vol("theirs"), vol("ours-recorded"), vol("other-dc", dc="US-TX-3"),
            vol("other-name", name="x"), vol("made")]
    assert [v.id for v in lost_creates(intent, NAME, seen, {"ours-recorded"})] == ["made"]
    assert lost_creates(None, NAME, seen, set()) == []


def test_a_volume_in_another_data_center_than_the_file_says_is_named() -> None:
    assert "fixed at creation" in data_center_moved("cache", "US-TX-3", "v1", "EU-RO-1")
    assert data_center_moved("cache", "EU-RO-1", "v1", "EU-RO-1") == ""
    assert data_center_moved("cache", "EU-RO-1", "v1", None) == ""
