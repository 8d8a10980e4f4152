"""Redaction on the data: the plan core's own output holds no secret value, with no
output redactor behind it (CONTRACT §4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitops_runner.plan.build import make_plan
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.planfile import render_plan_file
from gitops_runner.plan.records import record_spec
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.report.plan import render_markdown, render_text
from tests.plan.factories import CATALOG, observed_from, stack_from_yaml

SECRET = "hf_PRODUCTIONTOKEN0123456789"
SECRET_FILE = """
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime:
      image: "img:1"
      env: {HF_TOKEN: {secret: HF_TOKEN}, LEVEL: info}
"""
PLAIN_FILE = SECRET_FILE.replace("{secret: HF_TOKEN}", "placeholder")
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _applied_state() -> StateDoc:
    want = desired_pods(stack_from_yaml(SECRET_FILE))[0]
    record = PodRecord(id="pod1", runpod_name=want.runpod_name, spec_hash=want.spec_hash,
                       gpu="NVIDIA L4", gpu_count=1, cost=0.5, created_at="", updated_at="",
                       spec=record_spec(want))
    return StateDoc.empty("demo/prod").with_pod("api", record).next_serial()


@pytest.mark.parametrize("state", ["applied", "elsewhere"])
def test_plan_secret_turned_plain_shows_sensitive_in_every_format(state: str) -> None:
    # A pull request turns the secret into a plain value (and may point state elsewhere):
    # the value RunPod holds must not be shown, whatever the file says now.
    was = desired_pods(stack_from_yaml(SECRET_FILE))[0]
    observed = [observed_from(was, {"HF_TOKEN": SECRET})]
    doc = _applied_state() if state == "applied" else StateDoc.empty("demo/prod")
    plan = make_plan(stack_from_yaml(PLAIN_FILE), doc, observed, CATALOG, {}, NOW)
    assert plan.actions, "the change must be planned"
    outputs = [render_text(plan), render_markdown(plan), render_plan_file([plan])]
    for text in outputs:
        assert SECRET not in text
        assert "(sensitive)" in text
    assert any("env.HF_TOKEN: (sensitive) -> 'placeholder'" in r
               for a in plan.actions for r in a.reasons)


def test_plan_plain_value_applied_as_plain_is_shown() -> None:
    was = desired_pods(stack_from_yaml(SECRET_FILE))[0]
    observed = [observed_from(was, {"HF_TOKEN": SECRET})]
    plan = make_plan(stack_from_yaml(SECRET_FILE.replace("LEVEL: info", "LEVEL: debug")),
                     _applied_state(), observed, CATALOG, {"HF_TOKEN": SECRET}, NOW)
    assert any("env.LEVEL: 'info' -> 'debug'" in r for a in plan.actions for r in a.reasons)
    assert SECRET not in render_plan_file([plan])
