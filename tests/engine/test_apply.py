"""apply's retry rule (CONTRACT §8, §10): a retry's fresh plan may only repeat what was
reviewed; network volumes are held to it like pods and endpoints."""

from __future__ import annotations

from gitops_runner.engine.apply import ApplyOptions, ApplyResult, _Run
from gitops_runner.plan.model import Plan
from gitops_runner.plan.network_volumes import VolumeAction
from tests.helpers import make_session
from tests.plan.factories import stack_from_yaml

POD = """
pods:
  - name: api
    gpu: {type: NVIDIA GeForce RTX 4090}
    runtime: {image: "img:1"}
"""


def _run(logs: list[str], reviewed: tuple[VolumeAction, ...]) -> _Run:
    run = _Run(make_session(logs.append), stack_from_yaml(POD), None, None,  # type: ignore[arg-type]
               None, {}, ApplyOptions(), ApplyResult("demo/prod", converged=False))  # type: ignore[arg-type]
    run.reviewed_actions, run.reviewed_volumes = (), reviewed
    return run


def _plan(*volumes: VolumeAction) -> Plan:
    return Plan("demo", "prod", "lineage", 3, "seen", (), volume_actions=volumes)


CREATE = VolumeAction("hf-cache", "EU-RO-1", "create", "demo-prod-hf-cache", ("new volume",),
                      None, 200)
GROW = VolumeAction("hf-cache", "EU-RO-1", "grow", "demo-prod-hf-cache", ("200 -> 300",),
                    200, 300, volume_id="v1")


def test_a_retry_may_not_make_a_volume_the_reviewed_plan_did_not() -> None:
    logs: list[str] = []
    run = _run(logs, reviewed=(GROW,))
    assert not run.may_go_on(_plan(CREATE), attempt=2, confirm=None)
    assert "volume hf-cache [EU-RO-1] create" in run.result.stopped
    assert "run plan and review it again" in run.result.stopped


def test_a_retry_may_repeat_a_reviewed_volume_action() -> None:
    run = _run([], reviewed=(GROW,))
    assert run.may_go_on(_plan(GROW), attempt=2, confirm=None)
    assert run.result.stopped == ""
