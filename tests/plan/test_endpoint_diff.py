"""Endpoint plans as data: release vs rescale vs template repair, cost bounds, guardrails,
fingerprint and redaction (CONTRACT §14)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.plan.build import make_plan
from gitops_runner.plan.endpoint_state import EndpointRecord
from gitops_runner.plan.endpoints import ServerlessView, desired_endpoints, resolved_template
from gitops_runner.plan.model import Plan
from gitops_runner.plan.planfile import parse_plan_file, render_plan_file
from gitops_runner.plan.statefile import StateDoc
from tests.plan.factories import CATALOG, stack_from_yaml

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SECRETS = {"HF_TOKEN": "hf-value-1"}
POD = """\
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: nginx}
"""
ENDPOINT = """\
endpoints:
  - name: chat
    gpu: {pools: [ADA_24, AMPERE_48], exclude: [NVIDIA RTX A6000], count: 2}
    workers: {min: 1, max: 4}
    scaling: {type: QUEUE_DELAY, value: 4}
    runtime: {image: "acme/w:1", env: {HF_TOKEN: {secret: HF_TOKEN}, MODE: fast}}
"""


def stack(endpoint: str = ENDPOINT, extra: str = "") -> Stack:
    return stack_from_yaml(POD + endpoint, extra=extra)


def applied(s: Stack, state: StateDoc, secrets: dict[str, str] = SECRETS,
            **endpoint_changes: Any) -> tuple[ServerlessView, StateDoc]:
    """RunPod and state after `s`'s endpoint was applied (as the simulator answers)."""
    (want,) = desired_endpoints(s, state.lineage)
    template = {"id": "tpl1", **resolved_template(want, secrets)}
    endpoint = {"id": "ep1", **want.endpoint_body, "env": template["env"],
                "image": template["image"], "args": "", "disk": template["disk"],
                "registry": None, **endpoint_changes}
    record = EndpointRecord("tpl1", want.runpod_name, want.spec_hash, "t", "t", "ep1",
                            {"template": dict(want.template_body),
                             "endpoint": dict(want.endpoint_body)}, True, 1)
    return ServerlessView.of([template], [endpoint]), state.with_endpoint("chat", record)


def plan_of(s: Stack, state: StateDoc, view: ServerlessView,
            secrets: dict[str, str] = SECRETS) -> Plan:
    return make_plan(s, state, [], CATALOG, secrets, NOW, serverless=view)


def test_a_new_endpoint_costs_its_dearest_pool_left_after_exclude_at_min_and_max() -> None:
    s = stack()
    state = StateDoc.empty(s.name)
    plan = plan_of(s, state, ServerlessView())
    (action,) = plan.endpoint_actions
    assert (action.action, action.reasons) == ("create", ("new endpoint",))
    # AMPERE_48 minus the A6000 is the A40 at $1.22/h, dearer than ADA_24's $1.12/h; x2 GPUs.
    assert (action.cost_min, action.cost_max) == (2.44, 9.76)


def test_image_and_secret_changes_are_releases_without_showing_the_value() -> None:
    s = stack()
    view, state = applied(s, StateDoc.empty(s.name))
    assert plan_of(s, state, view).endpoint_actions == ()
    rotated = plan_of(s, state, view, {"HF_TOKEN": "hf-value-2"})
    (action,) = rotated.endpoint_actions
    assert (action.change, action.reasons) == ("release", ("env.HF_TOKEN: (sensitive value "
                                                           "changed)",))
    text = json.dumps(render_plan_file([rotated]))
    assert "hf-value" not in text and "(secret HF_TOKEN)" in text
    newer = stack(ENDPOINT.replace("acme/w:1", "acme/w:2"))
    (action,) = plan_of(newer, state, view).endpoint_actions
    assert (action.change, action.reasons, action.restarts_workers) == (
        "release", ("image: acme/w:1 -> acme/w:2",), True)
    assert action.template_patch


def test_workers_scaling_and_timeout_are_a_rescale_that_restarts_nothing() -> None:
    s = stack()
    view, state = applied(s, StateDoc.empty(s.name))
    changed = stack(ENDPOINT.replace("max: 4", "max: 8").replace("value: 4", "value: 2")
                    + "    timeout: 60\n")
    (action,) = plan_of(changed, state, view).endpoint_actions
    assert action.change == "rescale" and not action.restarts_workers
    assert not action.template_patch
    assert set(action.endpoint_patch) == {"workers", "scaling", "timeout"}
    # In the deploy file's words and units (timeout in seconds, as the file says).
    assert action.reasons == ("workers.max: 4 -> 8", "scaling: QUEUE_DELAY 4 -> QUEUE_DELAY 2",
                              "timeout: 300 -> 60 s")


def test_a_pool_change_is_a_release_and_a_template_edited_outside_is_repaired_alone() -> None:
    s = stack()
    view, state = applied(s, StateDoc.empty(s.name))
    pools = stack(ENDPOINT.replace("pools: [ADA_24, AMPERE_48]", "pools: [AMPERE_48]"))
    (action,) = plan_of(pools, state, view).endpoint_actions
    assert action.change == "release" and action.endpoint_patch == ("gpu",)
    edited = ServerlessView(tuple(replace(t, body={**t.body, "image": "evil:1"})
                                  for t in view.templates), view.endpoints)
    (action,) = plan_of(s, state, edited).endpoint_actions
    assert (action.change, action.reasons) == ("template", ("template image: evil:1 -> "
                                                            "acme/w:1",))


def test_a_field_runpod_leaves_out_is_unknown_never_a_change() -> None:
    s = stack()
    view, state = applied(s, StateDoc.empty(s.name), scaling=None, gpu=None)
    assert plan_of(s, state, view).endpoint_actions == ()


def test_max_hourly_cost_counts_endpoints_at_max_workers() -> None:
    s = stack(extra="guardrails: {max_hourly_cost: 5}\n")
    plan = plan_of(s, StateDoc.empty(s.name), ServerlessView())
    assert any("max_hourly_cost" in v and "$10.25/h" in v for v in plan.violations)
    assert plan_of(stack(ENDPOINT.replace("max: 4", "max: 1"),
                         extra="guardrails: {max_hourly_cost: 5}\n"),
                   StateDoc.empty(s.name), ServerlessView()).violations == ()


def test_endpoint_guardrails_are_data_and_one_hourly_check_counts_pods_and_endpoints() -> None:
    s = stack(extra="guardrails: {max_hourly_cost: 5, max_monthly_cost: 1000, "
                    "allowed_gpu_types: [NVIDIA L4, NVIDIA RTX 4000 Ada Generation]}\n")
    plan = plan_of(s, StateDoc.empty(s.name), ServerlessView())
    details = {v.rule: v for v in plan.violation_details}
    assert set(details) == {"max_hourly_cost", "max_monthly_cost", "allowed_gpu_types"}
    hourly = details["max_hourly_cost"]
    assert hourly.limit == 5 and hourly.value > 10 and "endpoints at max workers" in str(hourly)
    # The min worker runs all month whatever the traffic: 2 GPUs x 720 h, over $1,000 by
    # itself; a month at max workers is a flood max_hourly_cost bounds.
    monthly = details["max_monthly_cost"]
    (cost,) = plan.endpoint_costs
    assert cost.min_workers is not None and monthly.value >= cost.min_workers * 720
    assert monthly.value < cost.max_workers * 720  # type: ignore[operator]
    assert "endpoints' min workers all month" in str(monthly)
    assert details["allowed_gpu_types"].value  # the pool GPUs outside the list
    assert [v for v in plan.violations if "max_hourly_cost" in v] == [str(hourly)]
    assert all(str(v) in plan.violations for v in plan.violation_details)


def test_a_removed_endpoint_is_a_delete_the_guardrail_refuses_by_default() -> None:
    s = stack()
    view, state = applied(s, StateDoc.empty(s.name))
    gone = stack("")
    plan = plan_of(gone, state, view)
    (action,) = plan.endpoint_actions
    assert (action.action, action.endpoint_id, action.template_id) == ("delete", "ep1", "tpl1")
    assert any("allow_delete is false" in v for v in plan.violations)
    assert [(v.rule, v.value) for v in plan.violation_details] == [("allow_delete", ["chat"])]
    allowed = stack("", extra="guardrails: {allow_delete: true}\n")
    assert plan_of(allowed, state, view).violations == ()


def test_the_fingerprint_covers_endpoints_and_survives_the_plan_file() -> None:
    s = stack()
    view, state = applied(s, StateDoc.empty(s.name))
    small = plan_of(stack(ENDPOINT.replace("max: 4", "max: 5")), state, view)
    large = plan_of(stack(ENDPOINT.replace("max: 4", "max: 6")), state, view)
    assert small.fingerprint != large.fingerprint
    (again,) = parse_plan_file(render_plan_file([small]))
    assert again.fingerprint == small.fingerprint
    assert again.endpoint_actions[0].change == "rescale"
    same = plan_of(s, state, view)  # no endpoint change: the pods' fingerprint, as before
    assert same.fingerprint == Plan(s.project, s.environment, "", 0, "",
                                    same.actions).fingerprint


def test_foreign_and_unmarked_endpoints_are_warned_about_and_left_alone() -> None:
    s = stack()
    view, _ = applied(s, StateDoc.empty(s.name, "other-lineage"))
    unmarked = ServerlessView(view.templates, tuple(
        replace(e, id="ep9", env={}) for e in view.endpoints))
    plan = plan_of(s, StateDoc.empty(s.name, "mine"), ServerlessView(view.templates,
                                                                      unmarked.endpoints))
    assert any("another state's lineage" in w for w in plan.warnings)
    assert any("no gitops-runner markers" in w for w in plan.warnings)
    (action,) = plan.endpoint_actions
    assert action.action == "create" and action.template_id is None


def test_a_field_runpod_leaves_out_never_moves_a_reviewed_release() -> None:
    """Unknown, never a difference (CONTRACT §4): RunPod leaving out `timeout` (or
    `flashboot`) at merge time leaves the reviewed fingerprint alone."""
    s = stack()
    base = StateDoc.empty(s.name)
    view, state = applied(s, base)
    newer = stack(ENDPOINT.replace("acme/w:1", "acme/w:2"))
    reviewed = plan_of(newer, state, view)
    sparse, _ = applied(s, base, timeout=None, flashboot=None)
    merged = plan_of(newer, state, sparse)
    assert merged.endpoint_actions[0].reasons == reviewed.endpoint_actions[0].reasons
    assert merged.fingerprint == reviewed.fingerprint


def test_a_gpu_change_names_only_the_gpu_fields_that_differ_in_the_file_s_words() -> None:
    from gitops_runner.plan.endpoint_diff import _reasons

    before = {"pools": ["ADA_24"], "excludedTypes": [], "count": 1, "minCudaVersion": None}
    after = {"pools": ["ADA_24"], "excludedTypes": [], "count": 1, "minCudaVersion": "12.8"}
    assert _reasons("gpu", before, after) == ["gpu.min_cuda_version: (none) -> 12.8"]
    assert _reasons("dataCenterIds", ["EU-RO-1"], ["US-TX-3"]) == [
        "data_centers: ['EU-RO-1'] -> ['US-TX-3']"]
