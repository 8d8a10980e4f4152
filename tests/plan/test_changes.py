"""Changes as data (CONTRACT §4): kinds as StrEnums, FieldChange prose, the fingerprint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gitops_runner.plan.changes import SENSITIVE, ActionKind, Destroyed, FieldChange
from gitops_runner.plan.drift import DriftClass
from gitops_runner.plan.model import PlanAction, actions_fingerprint
from gitops_runner.plan.power import PowerIntent
from tests.plan.test_diff import NOW, applied, plan


def test_changes_kinds_compare_equal_to_their_strings() -> None:
    assert ActionKind.CREATE == "create" and f"{ActionKind.REPLACE}" == "replace"
    assert DriftClass.PENDING == "pending" and PowerIntent.SCHEDULE == "schedule"
    assert PlanAction("api", "update").action is ActionKind.UPDATE
    with pytest.raises(ValueError):
        PlanAction("api", "explode")


@pytest.mark.parametrize(("change", "text"), [
    (FieldChange("image", "img:1", "img:2"), "image: 'img:1' -> 'img:2'"),
    (FieldChange("env.K", None, "v"), "env.K: added 'v'"),
    (FieldChange("env.K", None, SENSITIVE, sensitive=True), "env.K: added (sensitive)"),
    (FieldChange("env.K", "v", None), "env.K: removed"),
    (FieldChange("env.K", SENSITIVE, SENSITIVE, sensitive=True),
     "env.K: (sensitive value changed)"),
    (FieldChange("env.K", SENSITIVE, "v", sensitive=True), "env.K: (sensitive) -> 'v'"),
    (FieldChange("gpu", "A", ["B", "C"], True), "gpu: 'A' -> 'B' (or fallback [C])"),
    (FieldChange("cloud_type", "COMMUNITY", "SECURE", True), "cloud_type: COMMUNITY -> SECURE"),
    (FieldChange("schedule", None, {"timezone": "UTC", "running": ["Mon 10:00-11:00"]}),
     "schedule: (none) -> {timezone: 'UTC', running: [Mon 10:00-11:00]}"),
])
def test_changes_describe_renders_field_before_after(change: FieldChange, text: str) -> None:
    assert change.describe() == text
    assert FieldChange.from_json(change.to_json()) == change


def test_changes_destroyed_describes_the_volume() -> None:
    lost = Destroyed("pod volume", 100, "/workspace")
    assert lost.describe() == "destroys: pod volume 100 GB at /workspace"
    assert lost.to_json() == {"kind": "pod volume", "size_gb": 100, "path": "/workspace"}
    assert Destroyed.from_json(lost.to_json()) == lost


def test_changes_fingerprint_covers_data_not_notes() -> None:
    base = PlanAction("api", "update", changes=(FieldChange("image", "a", "b"),))
    noted = PlanAction("api", "update", changes=base.changes, notes=("2.0h old",))
    other = PlanAction("api", "update", changes=(FieldChange("image", "a", "c"),))
    lossy = PlanAction("api", "update", changes=base.changes,
                       destroys=(Destroyed("pod volume", 20, "/w"),))
    assert actions_fingerprint([base]) == actions_fingerprint([noted])
    assert len({actions_fingerprint([a]) for a in (base, other, lossy)}) == 3
    assert actions_fingerprint([base]) != actions_fingerprint([])


def test_changes_ttl_replacement_fingerprint_does_not_move_with_time() -> None:
    # Issue 21: "2.0h old" in the fingerprint made every review of the stack unappliable.
    raw, state = applied()
    extra = "guardrails: {allow_delete: true, allow_data_loss: true, ttl_hours: 1}\n"
    early = plan(observed=[raw], state=state, extra=extra)
    later = plan(observed=[raw], state=state, extra=extra, now=NOW + timedelta(minutes=47))
    assert [a.action for a in early.actions] == ["replace"]
    assert early.actions[0].reasons != later.actions[0].reasons  # the age is shown...
    assert early.fingerprint == later.fingerprint  # ...never fingerprinted
