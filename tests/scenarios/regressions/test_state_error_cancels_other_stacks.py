"""a state write error in one stack's apply sets the session-wide cancel event, so
every later stack of the same run fails as 'interrupted' (CONTRACT §10: the others still run)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.errors import GitopsError
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.state.factory import open_backend
from tests.helpers import make_session, sim_access
from tests.plan.factories import stack_from_yaml

PODS = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
"""


class Boom(GitopsError):
    pass


def test_state_error_in_one_stack_does_not_cancel_the_next(tmp_path: Path, fast_sim, vclock) -> None:
    session = make_session(clock=vclock)
    client = RunPodClient(fast_sim.url, "k", max_retry_seconds=5, backoff_base=0.01,
                          **{k: v for k, v in session.client_timing().items() if k != "max_wait"})
    access = sim_access(fast_sim, client)
    alpha = stack_from_yaml(PODS, f"state: {{path: {tmp_path}}}\n", project="alpha")
    beta = stack_from_yaml(PODS, f"state: {{path: {tmp_path}}}\n", project="beta")

    def backends(stack, log):  # type: ignore[no-untyped-def]
        store, locker = open_backend(stack, log)
        if stack.project == "alpha":
            def write(doc, token):  # type: ignore[no-untyped-def]
                raise Boom("state write failed: precondition failed (someone else wrote)")
            store.write = write  # type: ignore[method-assign]
        return store, locker

    session.backends = backends
    with contextlib.suppress(GitopsError):  # alpha fails; beta must not
        apply_stack(session, alpha, access, {}, ApplyOptions())
    result = apply_stack(session, beta, access, {}, ApplyOptions())
    assert result.converged, (result.outcomes, session.cancel.is_set())
