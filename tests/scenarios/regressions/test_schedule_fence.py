"""schedule must stop writing once its lease is lost, as apply does (CONTRACT §7)."""

from __future__ import annotations

import gitops_runner.engine.fence as fence_mod
from tests.scenarios.test_schedule import utc, week  # noqa: F401  (fixture)


def test_schedule_writes_after_its_lease_is_lost(week, monkeypatch) -> None:  # noqa: F811
    week.schedule(utc("2026-10-23T09:05:00+02:00"))
    week.writes()
    serial = week.serial()
    # Every lease now counts as already expired when taken: a run must make no write.
    monkeypatch.setattr(fence_mod, "TAKEOVER_MARGIN_SECONDS", 10**9)
    # sanity: apply refuses to write (fence lost)
    # schedule at 20:05 CEST: the window closed -> it stops the pod
    result = week.schedule(utc("2026-10-23T20:05:00+02:00"))
    sent = week.writes()
    assert sent == [], f"schedule wrote to RunPod after its lease was lost: {sent}; events {result.events}"
    assert week.serial() == serial, "schedule wrote state after its lease was lost"


def test_apply_control_same_condition_makes_no_write(week, monkeypatch) -> None:  # noqa: F811
    week.writes()
    week.world.pods[week.pod_id("api")].terminated = True  # apply would recreate it
    monkeypatch.setattr(fence_mod, "TAKEOVER_MARGIN_SECONDS", 10**9)
    result = week.apply()
    assert week.writes() == [] and not result.converged and "stopped making changes" in result.stopped
