"""Plan, drift and cost for declared stopped pods, schedules and idle stop (CONTRACT §11)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gitops_runner.plan import rates
from gitops_runner.plan.build import ownership_of
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.drift import find_drift
from gitops_runner.plan.planfile import parse_plan_file, render_plan_file
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.runpod.simulator import catalog
from tests.plan.factories import stack_from_yaml
from tests.plan.test_diff import GUARD, POD, SECRETS, applied, plan, summary

SCHEDULED = POD + """    schedule: {timezone: Europe/Paris, running: ["Mon-Fri 08:00-20:00"]}
"""
STOPPED = POD + "    status: stopped\n"
IDLE = POD + "    idle_stop: {gpu_util_below: 5, minutes: 60}\n"
FRIDAY_NIGHT = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
MONDAY_NOON = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)


def idle_stopped(state: StateDoc) -> StateDoc:
    return state.with_pod("api", replace(state.pods["api"], idle_stopped="2026-12-07T10:00:00Z"))


def test_plan_declared_stopped_running_pod_is_stopped() -> None:
    raw, state = applied(STOPPED)
    p = plan(STOPPED, [raw], state)
    assert summary(p) == [("api", "stop", ("status: RUNNING, declared stopped -> stop",))]
    assert p.cost_after == 0.0


def test_plan_declared_stopped_exited_pod_is_unchanged() -> None:
    raw, state = applied(STOPPED, status="EXITED")
    assert summary(plan(STOPPED, [raw], state)) == []


def test_plan_declared_stopped_new_pod_is_created_then_stopped() -> None:
    (action,) = plan(STOPPED).actions
    assert action.action == "create" and action.stop_after
    assert action.reasons == ("new pod", "declared stopped: created, checked for readiness, "
                                         "then stopped")


@pytest.mark.parametrize(("status", "now"), [("EXITED", MONDAY_NOON), ("RUNNING", FRIDAY_NIGHT),
                                             ("EXITED", FRIDAY_NIGHT)])
def test_plan_leaves_a_scheduled_pods_power_to_the_schedule(status: str, now: datetime) -> None:
    raw, state = applied(SCHEDULED, status=status)
    assert summary(plan(SCHEDULED, [raw], state, now=now)) == []


@pytest.mark.parametrize(("now", "stop_after"), [(FRIDAY_NIGHT, True), (MONDAY_NOON, False)])
def test_plan_scheduled_create_stops_only_outside_its_window(now: datetime,
                                                             stop_after: bool) -> None:
    (action,) = plan(SCHEDULED, now=now).actions
    assert action.stop_after is stop_after
    # The reason does not depend on the time: a reviewed fingerprint survives a window edge.
    assert plan(SCHEDULED, now=FRIDAY_NIGHT).fingerprint == plan(SCHEDULED,
                                                                 now=MONDAY_NOON).fingerprint
    # ...so it says "when": created inside its window (Monday noon), the pod keeps running.
    assert any("when created outside its windows" in r for r in action.reasons)


def test_plan_scheduled_stopped_pod_update_starts_checks_and_stops_again() -> None:
    raw, state = applied(SCHEDULED, status="EXITED")
    (action,) = plan(SCHEDULED.replace("info", "debug"), [raw], state, now=FRIDAY_NIGHT).actions
    assert (action.action, action.start, action.stop_after) == ("update", True, True)


def test_plan_idle_stopped_pod_is_started_on_apply() -> None:
    raw, state = applied(IDLE, status="EXITED")
    p = plan(IDLE, [raw], idle_stopped(state))
    assert summary(p) == [("api", "start", ("idle-stopped at 2026-12-07T10:00:00Z (idle_stop) "
                                            "-> start",))]


def test_plan_idle_stopped_scheduled_pod_waits_for_its_window_with_a_note() -> None:
    sched_idle = SCHEDULED + "    idle_stop: {gpu_util_below: 5, minutes: 60}\n"
    raw, state = applied(sched_idle, status="EXITED")
    p = plan(sched_idle, [raw], idle_stopped(state), now=MONDAY_NOON)
    assert p.actions == () and any("starts at its next window opening" in n for n in p.notes)


def drift_of(pods: str, raw: dict, state: StateDoc) -> list[tuple[str, str, tuple[str, ...]]]:  # type: ignore[type-arg]
    stack = stack_from_yaml(pods, GUARD)
    desired = desired_pods(stack)
    found = find_drift(desired, state, ownership_of(stack, desired, [raw], state), SECRETS,
                       MONDAY_NOON)
    return [(f.pod, f.kind, f.reasons) for f in found]


def test_drift_no_finding_for_pods_stopped_by_schedule_declaration_or_idle_stop() -> None:
    for pods in (SCHEDULED, STOPPED):
        raw, state = applied(pods, status="EXITED")
        assert drift_of(pods, raw, state) == []
    raw, state = applied(IDLE, status="EXITED")
    assert drift_of(IDLE, raw, idle_stopped(state)) == []


def test_drift_pod_stopped_behind_the_tools_back_is_still_drift() -> None:
    raw, state = applied(IDLE, status="EXITED")
    assert drift_of(IDLE, raw, state) == [("api", "drift", ("status: EXITED",))]


def test_drift_declared_stopped_pod_found_running_is_drift() -> None:
    raw, state = applied(STOPPED)
    assert drift_of(STOPPED, raw, state) == [
        ("api", "drift", ("status: RUNNING, but the deploy file declares it stopped",))]


def test_monthly_projection_of_weekday_window_matches_60_hours_a_week() -> None:
    p = plan(SCHEDULED.replace("volume: {size_gb: 20", "volume: {size_gb: 100")
             .replace("ports:", "disk_gb: 50\n    ports:"))
    price = catalog.price("NVIDIA GeForce RTX 4090", "SECURE") or 0.0
    running = 60 * 30 / 7 / 720
    storage = 50 * rates.CONTAINER_DISK_RUNNING * running + 100 * (
        rates.VOLUME_RUNNING * running + rates.VOLUME_STOPPED * (1 - running))
    expected = price * 60 * 30 / 7 + storage
    assert p.monthly_after == pytest.approx(expected, rel=0.01)
    assert p.monthly_without_schedule == pytest.approx(price * 720 + 5 + 10, rel=0.01)
    assert p.monthly_before == 0.0


def test_monthly_declared_stopped_pod_costs_its_volume_at_the_stopped_rate() -> None:
    assert plan(STOPPED).monthly_after == pytest.approx(20 * rates.VOLUME_STOPPED)


def test_monthly_unchanged_stack_shows_the_same_month_before_and_after() -> None:
    raw, state = applied(SCHEDULED, status="EXITED")
    p = plan(SCHEDULED, [raw], state, now=MONDAY_NOON)
    assert p.monthly_before == p.monthly_after > 0


def test_max_monthly_cost_guards_the_projection() -> None:
    p = plan(SCHEDULED, extra="guardrails: {allow_delete: true, max_monthly_cost: 100}\n")
    assert any(v.startswith("max_monthly_cost: worst case over fallback GPUs, the stack may "
                            "cost up to $") for v in p.violations)
    assert not plan(SCHEDULED, extra="guardrails: {max_monthly_cost: 1000}\n").violations


def test_plan_file_carries_monthly_cost_both_ways() -> None:
    p = plan(SCHEDULED)
    data = json.loads(render_plan_file([p]))["stacks"][0]
    assert set(data["cost"]) >= {"monthly_before", "monthly_after"}
    (back,) = parse_plan_file(render_plan_file([p]))
    assert (back.monthly_after, back.monthly_without_schedule) == (p.monthly_after,
                                                                   p.monthly_without_schedule)
    raw, state = applied(STOPPED)
    stop = plan(STOPPED, [raw], state)
    assert parse_plan_file(render_plan_file([stop]))[0].actions[0].action == "stop"
