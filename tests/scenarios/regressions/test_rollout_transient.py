"""a transient PATCH failure on the first replica of a rolling update ends the run
without the promised retry (CONTRACT §6: failed actions are retried after a fresh look)."""

from __future__ import annotations

from gitops_runner.runpod.simulator.world import Fault
from tests.scenarios.test_apply import BASE, Harness, h  # noqa: F401

THREE = BASE.replace("  - name: api\n", "  - name: api\n    replicas: 3\n")


def test_transient_patch_failure_in_a_rollout_is_retried(h: Harness) -> None:  # noqa: F811
    assert h.apply(h.stack(THREE)).converged
    first = h.state_ids()["api"]
    h.world.faults.append(Fault(f"PATCH /v2/pods/{first}", "5xx", times=6, status=503))
    result = h.apply(h.stack(THREE.replace("img:1", "img:2")), max_attempts=3)
    assert result.converged
