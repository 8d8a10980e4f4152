from __future__ import annotations

import pytest

from tests.plan.test_diff import POD, applied, plan

PODS = """
pods:
  - name: api
    replicas: 2
    gpu: {type: NVIDIA GeForce RTX 4090, count: 2, fallback: [NVIDIA H100 80GB HBM3]}
    runtime: {image: img}
"""


@pytest.mark.parametrize("guard, expected", [
    ("max_hourly_cost: 5", "max_hourly_cost: the stack may cost up to $11.96/h (dearest "
                           "candidate GPU for each pod), over the limit of $5.00/h"),
    ("max_gpus: 4, max_pods: 5", None),
    ("allowed_gpu_types: [NVIDIA GeForce RTX 4090, NVIDIA H100 80GB HBM3]", None),
])
def test_guardrails_desired_stack_limits(guard: str, expected: str | None) -> None:
    p = plan(PODS, extra=f"guardrails: {{{guard}}}\n")
    assert list(p.violations) == ([expected] if expected else [])


def test_guardrails_max_hourly_cost_uses_only_primary_without_fallback() -> None:
    p = plan(PODS, extra="guardrails: {max_hourly_cost: 3, allow_gpu_fallback: false}\n")
    assert p.violations == ()


def test_guardrails_unknown_gpu_is_a_violation_naming_the_closest_live_ids() -> None:
    # Newer than the packaged snapshot as far as validate knows, absent from the live catalog.
    p = plan(PODS.replace("NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 4090 Ti"), extra="")
    assert p.violations == ("gpu 'NVIDIA GeForce RTX 4090 Ti' is not in RunPod's GPU catalog; "
                            "did you mean 'NVIDIA GeForce RTX 4090'? (`gitops-runner gpus` "
                            "lists every id)",)
    from gitops_runner.report.plan import render_text

    text = render_text(p)
    assert "price unknown" in text and "$0.00/h  " not in text  # never priced as free


def test_guardrails_count_over_max_count_and_cloud_not_offered() -> None:
    over = plan(PODS.replace("count: 2", "count: 9"), extra="")
    assert any("gpu.count 9 is over RunPod's maxCount of 8 on the SECURE cloud" in v
               for v in over.violations)
    secure_only = plan(PODS.replace("NVIDIA GeForce RTX 4090", "NVIDIA H100 NVL")
                       + "    cloud_type: COMMUNITY\n", extra="")
    assert "gpu 'NVIDIA H100 NVL' is not offered on the COMMUNITY cloud; set cloud_type to " \
           "SECURE or pick another GPU" in secure_only.violations


def test_guardrails_allow_delete_false_refuses_replace() -> None:
    raw, state = applied(extra="")
    p = plan(observed=[raw], state=state, extra="",
             pods=POD.replace(
                 "fallback: [NVIDIA RTX A6000]", "fallback: [NVIDIA RTX A6000], count: 2"))
    # The pod has a volume: the replace destroys it, which is named too (CONTRACT §4).
    assert p.violations == ("allow_delete is false, but this plan terminates pods: api "
                            "(replace). Set guardrails.allow_delete: true to allow it",
                            "allow_data_loss is false, but this plan destroys data: api "
                            "(replace): pod volume 20 GB at /workspace. Set "
                            "guardrails.allow_data_loss: true to allow it (and allow_delete: "
                            "true), or keep the pod")


def test_guardrails_max_deletes_counts_terminations() -> None:
    raw, state = applied()
    p = plan("pods:\n  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n",
             [raw], state, extra="guardrails: {allow_delete: true, allow_data_loss: true, max_deletes: 0}\n")
    assert p.violations == ("max_deletes: this plan terminates 1 pods, over the limit of 0",)


def test_guardrails_left_out_mean_no_limit_but_no_deletes() -> None:
    raw, state = applied()
    p = plan("pods:\n  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n",
             [raw], state, extra="")
    assert len(p.violations) == 2 and p.violations[0].startswith("allow_delete is false")
    assert p.violations[1].startswith("allow_data_loss is false")


def test_guardrails_allow_data_loss_lets_a_volume_destroying_replace_through() -> None:
    raw, state = applied()
    pods = POD.replace("fallback: [NVIDIA RTX A6000]", "fallback: [NVIDIA RTX A6000], count: 2")
    refused = plan(pods, [raw], state, extra="guardrails: {allow_delete: true}\n")
    assert [v.split(",")[0] for v in refused.violations] == [
        "allow_data_loss is false"]
    allowed = plan(pods, [raw], state,
                   extra="guardrails: {allow_delete: true, allow_data_loss: true}\n")
    assert allowed.violations == () and allowed.actions[0].destroys


def test_guardrails_violations_are_data_whose_sentence_is_the_prose() -> None:
    raw, state = applied(extra="")
    p = plan(observed=[raw], state=state,
             extra="guardrails: {max_hourly_cost: 0.1, max_deletes: 0}\n",
             pods=POD.replace(
                 "fallback: [NVIDIA RTX A6000]", "fallback: [NVIDIA RTX A6000], count: 2"))
    details = {v.rule: v for v in p.violation_details}
    assert set(details) == {"max_hourly_cost", "allow_delete", "allow_data_loss",
                            "max_deletes"}
    assert details["max_hourly_cost"].limit == 0.1 and details["max_hourly_cost"].value > 0.1
    assert (details["max_deletes"].limit, details["max_deletes"].value) == (0, 1)
    assert details["allow_delete"].value == ["api"] and details["allow_delete"].limit is False
    assert [str(v) for v in p.violation_details] == list(p.violations)


def test_guardrails_violation_details_round_trip_the_plan_file() -> None:
    from gitops_runner.plan.planfile import parse_plan_file, render_plan_file

    raw, state = applied(extra="")
    p = plan(observed=[raw], state=state, extra="guardrails: {max_monthly_cost: 10}\n",
             pods=POD.replace(
                 "fallback: [NVIDIA RTX A6000]", "fallback: [NVIDIA RTX A6000], count: 2"))
    text = render_plan_file([p])
    assert '"rule": "max_monthly_cost"' in text and '"limit": 10' in text
    assert parse_plan_file(text)[0].violation_details == p.violation_details
