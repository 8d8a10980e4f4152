"""a retry attempt after a reviewed plan that holds a start/stop crashes (KeyError)."""

from __future__ import annotations

from gitops_runner.runpod.simulator.world import Fault
from tests.scenarios.test_apply import Harness, h  # noqa: F401


def test_retry_of_a_failed_start_does_not_crash(h: Harness) -> None:  # noqa: F811
    assert h.apply(h.stack()).converged
    (pod_id,) = h.live()
    h.client.pod_action(pod_id, "stop")      # stopped outside: the plan says "start"
    h.world.faults.append(Fault(f"POST /v2/pods/{pod_id}/action", "5xx", times=6, status=503))
    result = h.apply(h.stack(), max_attempts=3)
    assert result.converged
