"""a state-only refresh, then any action that re-records the pod without a PATCH
(start of a pod stopped outside, a readiness re-wait, adopt) forgets the marker the pod
still carries: drift reports a permanent false finding that apply never clears."""

from __future__ import annotations

from gitops_runner.engine.observe import drift_stacks
from tests.scenarios.test_apply import BASE, Harness, h  # noqa: F401


def test_refresh_then_start_leaves_permanent_false_drift(h: Harness) -> None:  # noqa: F811
    assert h.apply(h.stack()).converged
    wider = BASE.replace("fallback: [NVIDIA RTX A6000]", "fallback: [NVIDIA RTX A6000, NVIDIA A40]")
    r = h.apply(h.stack(wider))
    assert r.converged and r.count("update") == 1           # state only
    (d,) = drift_stacks(h.session, [h.stack(wider)], h.client, {"TOKEN": "tok-1"})
    assert d.findings == [] if hasattr(d, "findings") else True
    (pod_id,) = h.live()
    h.client.pod_action(pod_id, "stop")                     # stopped outside gitops-runner
    r = h.apply(h.stack(wider))
    assert r.converged and r.count("start") == 1
    assert h.apply(h.stack(wider)).outcomes == []           # apply: nothing to do
    (d,) = drift_stacks(h.session, [h.stack(wider)], h.client, {"TOKEN": "tok-1"})
    assert not d.drift.findings if hasattr(d, "drift") else not d.findings, d
