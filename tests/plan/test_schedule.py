"""Idle stop judged from samples (CONTRACT §11): at least 3 samples, all below the threshold,
spanning `minutes`; a busy sample resets; a pod listed without utilisation gives no sample."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gitops_runner.config.model import IdleStop
from gitops_runner.plan.observed import ObservedPod
from gitops_runner.plan.schedule import (
    KEEP,
    SAMPLE_LIMIT,
    Decision,
    decide,
    gpu_utilisation,
    idle_since,
    record_sample,
)
from gitops_runner.plan.statefile import IdleSample, PodRecord, StateDoc, parse_state, render_state
from tests.plan.factories import stack_from_yaml

SPEC = stack_from_yaml("""\
    pods:
      - name: api
        gpu: {type: NVIDIA L4}
        runtime: {image: "python:3.12-slim"}
        idle_stop: {gpu_util_below: 5, minutes: 60}
    """).pods[0]
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
RECORD = PodRecord(id="p1", runpod_name="demo-prod-api", spec_hash="h", gpu="NVIDIA L4",
                   gpu_count=1, cost=0.4, created_at="2026-12-07T09:00:00Z",
                   updated_at="2026-12-07T09:00:00Z")
RUNNING = ObservedPod(id="p1", name="demo-prod-api", status="RUNNING")


def run_samples(readings: list[tuple[int, list[float] | None]]) -> list[Decision]:
    """Feed (minute, per-GPU util or None) readings through decide, as successive runs do."""
    record, decisions = RECORD, []
    for minute, util in readings:
        decision = decide(SPEC, record, RUNNING, util, T0 + timedelta(minutes=minute))
        decisions.append(decision)
        if decision.samples is not KEEP:
            record = PodRecord(**{**vars(record), "idle_samples": decision.samples})
    return decisions


@pytest.mark.parametrize(("readings", "stops_at"), [
    pytest.param([(0, [1.0])], None, id="one-sample-never-stops"),
    pytest.param([(0, [1.0]), (600, [1.0])], None, id="two-samples-a-long-way-apart"),
    pytest.param([(0, [1.0]), (20, [2.0]), (40, [0.0])], None, id="three-too-close-together"),
    pytest.param([(0, [1.0]), (30, [2.0]), (60, [0.0])], 2, id="three-spanning-minutes"),
    pytest.param([(0, [1.0, 2.0]), (30, [1.0, 60.0]), (60, [0.0, 0.0]), (90, [0.0, 0.0])],
                 None, id="a-busy-gpu-resets"),
    pytest.param([(0, [1.0]), (30, [9.0]), (60, [0.0]), (90, [0.0]), (120, [0.0])], 4,
                 id="idle-again-after-a-reset"),
    pytest.param([(0, None), (30, None), (60, None), (90, None)], None,
                 id="no-utilisation-is-not-idle"),
    pytest.param([(0, [1.0]), (30, None), (60, [1.0])], None,
                 id="missing-utilisation-is-not-a-sample"),
    pytest.param([(0, [1.0]), (30, None), (60, [1.0]), (70, [1.0])], 3,
                 id="missing-utilisation-does-not-reset"),
    pytest.param([(0, [4.999]), (30, [5.0]), (60, [0.0])], None, id="threshold-is-busy"),
])
def test_idle_stop_needs_three_idle_samples_spanning_minutes(
        readings: list[tuple[int, list[float] | None]], stops_at: int | None) -> None:
    actions = [d.action for d in run_samples(readings)]
    expected = [None] * len(readings)
    if stops_at is not None:
        expected[stops_at] = "stop"
    assert actions == expected


def test_the_stop_names_its_samples_and_clears_them() -> None:
    *_, stop = run_samples([(0, [1.0]), (30, [2.0]), (60, [0.0])])
    assert stop.reason == ("idle: every GPU below 5% in 3 samples since 2026-12-07T10:00:00Z "
                           "(60 min >= 60)")
    assert (stop.samples, stop.idle_stopped) == ((), "2026-12-07T11:00:00Z")


def test_a_pod_that_is_not_running_drops_its_samples() -> None:
    record = PodRecord(**{**vars(RECORD), "idle_samples": (IdleSample("2026-12-07T10:00:00Z",
                                                                      (1.0,)),)})
    stopped = ObservedPod(id="p1", name="demo-prod-api", status="EXITED")
    assert decide(SPEC, record, stopped, None, T0).samples == ()
    assert decide(SPEC, RECORD, stopped, None, T0).writes is False


def test_samples_are_bounded_but_keep_the_start_of_the_run() -> None:
    samples: tuple[IdleSample, ...] = ()
    assert SPEC.idle_stop is not None
    for minute in range(0, 5 * SAMPLE_LIMIT, 5):
        at = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        samples = record_sample(samples, IdleSample(at, (0.0,)), SPEC.idle_stop)
    assert len(samples) == SAMPLE_LIMIT
    assert samples[0].at == "2026-12-07T10:00:00Z"
    record = PodRecord(**{**vars(RECORD), "idle_samples": samples})
    assert idle_since(record, SPEC.idle_stop) == "2026-12-07T10:00:00Z"


def test_idle_since_is_judged_against_the_current_threshold() -> None:
    samples = (IdleSample("2026-12-07T10:00:00Z", (4.0,)),
               IdleSample("2026-12-07T10:15:00Z", (1.0,)))
    record = PodRecord(**{**vars(RECORD), "idle_samples": samples})
    assert idle_since(record, SPEC.idle_stop) == "2026-12-07T10:00:00Z"
    lowered = IdleStop(gpu_util_below=3, minutes=60)
    assert idle_since(record, lowered) == "2026-12-07T10:15:00Z"
    assert idle_since(record, None) is None


def test_gpu_utilisation_is_none_unless_every_gpu_reports() -> None:
    assert gpu_utilisation({"runtime": {"gpus": [{"util": 3}, {"util": 7.5}]}}) == [3.0, 7.5]
    assert gpu_utilisation({"runtime": {"gpus": [{"util": 3}, {"id": "x"}]}}) is None
    assert gpu_utilisation({"runtime": None}) is None
    assert gpu_utilisation({}) is None


def test_samples_round_trip_through_state_and_old_states_still_load() -> None:
    samples = (IdleSample("2026-12-07T10:00:00Z", (1.0, 2.5)),)
    doc = StateDoc.empty("demo-prod").with_pod(
        "api", PodRecord(**{**vars(RECORD), "idle_samples": samples}))
    assert parse_state(render_state(doc)).pods["api"].idle_samples == samples
    old = render_state(doc.with_pod("api", PodRecord(**{**vars(RECORD),
                                                        "idle_since": "2026-12-07T09:00:00Z"})))
    assert '"idle_samples"' not in old
    loaded = parse_state(old).pods["api"]
    assert (loaded.idle_samples, loaded.idle_since) == ((), "2026-12-07T09:00:00Z")
    # The old stamp alone never stops a pod: the samples start afresh.
    assert decide(SPEC, loaded, RUNNING, [0.0], T0).action is None
