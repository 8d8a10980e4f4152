"""Crashes heal, retries stay inside the reviewed plan, lost creates leave one pod."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.engine.observe import drift_stacks, plan_stacks
from gitops_runner.plan.desired import desired_pods, resolved_env
from gitops_runner.plan.identity import MARKER_STACK
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Fault, World
from tests.engine.recording import RecordingSession
from tests.fakes.clock import ScaledClock
from tests.helpers import sim_access
from tests.scenarios.test_apply import BASE, Harness

SECRETS = {"TOKEN": "tok-1"}


@pytest.fixture
def h(fast_sim: Simulator, fast_world: World, tmp_path: Path, vclock: ScaledClock) -> Harness:
    harness = Harness(fast_sim, fast_world, tmp_path, vclock)
    harness.recorder = RecordingSession(vclock.time)  # type: ignore[attr-defined]
    harness.recorder.sleep = vclock.sleep  # type: ignore[attr-defined]
    harness.client = RunPodClient(fast_sim.url, "k", session=harness.recorder,
                                  max_retry_seconds=5, backoff_base=0.01)
    return harness


def test_apply_crash_between_patch_and_journal_heals(h: Harness) -> None:
    assert h.apply(h.stack()).converged
    (pod_id,) = h.live()
    changed = h.stack(BASE.replace("img:1", "img:2"))
    want = desired_pods(changed)[0]
    # The run PATCHed the pod and died before journaling it.
    h.client.update_pod(pod_id, {"image": "img:2", "env": resolved_env(want, SECRETS)})
    (plan,) = plan_stacks(h.session, [changed], h.client, SECRETS)
    assert [(a.pod, a.action) for a in plan.plan.actions] == [("api", "adopt")]
    assert "re-journal" in plan.plan.actions[0].reasons[0]
    h.logs.clear()
    result = h.apply(changed)
    assert result.converged and result.count("adopt") == 1
    assert any("api: ready" in line for line in h.logs)  # readiness checked again
    record = h.store().read().doc.pods["api"]  # type: ignore[union-attr]
    assert record.spec_hash == want.spec_hash and record.healthy and record.id == pod_id
    (drift,) = drift_stacks(h.session, [changed], h.client, SECRETS)
    assert drift.findings == []


def test_apply_retry_never_runs_actions_outside_the_reviewed_plan(h: Harness) -> None:
    pods = BASE + """
  - name: web
    gpu: {type: NVIDIA L4}
    runtime: {image: "web:1"}
"""
    first = h.stack(pods.replace("  - name: api", "  - name: xapi"))
    assert h.apply(first).converged
    web_id = next(i for i, p in h.live().items() if p["name"].endswith("-web"))
    # Attempt 1 creates api; it fails for lack of capacity (retryable). Meanwhile someone
    # changes web on RunPod: attempt 2's fresh plan would PATCH web, never reviewed.
    h.world.faults.append(Fault("POST /v2/pods", "capacity", times=4))
    h.recorder.after_create = lambda: h.client.update_pod(  # type: ignore[attr-defined]
        web_id, {"image": "web:other"})
    result = h.apply(h.stack(pods), max_attempts=3)
    assert not result.converged
    assert "reviewed plan did not: web update" in result.stopped
    assert h.live()[web_id]["image"] == "web:other"


def test_apply_create_lost_then_completed_later_leaves_one_pod(h: Harness) -> None:
    h.recorder.lost_creates = 1  # type: ignore[attr-defined]
    h.recorder.late_seconds = 0.5  # type: ignore[attr-defined]
    stack = h.stack(guard="{}")  # allow_delete false, as by default
    result = h.apply(stack)
    assert result.converged and not result.violations, (result.summary(), h.logs)
    ours = [p for p in h.live().values() if p["env"].get(MARKER_STACK) == "demo/prod"
            and p["status"] != "TERMINATED"]
    assert len(ours) == 1
    assert h.state_ids() == {"api": ours[0]["id"]}
    assert h.apply(stack).outcomes == []


def test_apply_unlock_error_reported_after_the_result(h: Harness) -> None:
    class Unreleasable:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def unlock(self, lock_id: str) -> None:
            from gitops_runner.state.base import LockError

            raise LockError("lock table unreachable")

    store, locker = h.store(), h.locker()
    h.session.backends = lambda stack, log: (store, Unreleasable(locker))  # type: ignore[assignment,return-value]
    result = apply_stack(h.session, h.stack(), sim_access(h.sim, h.client), SECRETS,
                         ApplyOptions())
    assert result.converged and result.count("create") == 1
    assert "could not release the lock: lock table unreachable" in result.summary()
