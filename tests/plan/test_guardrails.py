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
    assert p.violations == ("allow_delete is false, but this plan terminates pods: api "
                            "(replace). Set guardrails.allow_delete: true to allow it",)


def test_guardrails_max_deletes_counts_terminations() -> None:
    raw, state = applied()
    p = plan("pods:\n  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n",
             [raw], state, extra="guardrails: {allow_delete: true, max_deletes: 0}\n")
    assert p.violations == ("max_deletes: this plan terminates 1 pods, over the limit of 0",)


def test_guardrails_left_out_mean_no_limit_but_no_deletes() -> None:
    raw, state = applied()
    p = plan("pods:\n  - name: web\n    gpu: {type: NVIDIA L4}\n    runtime: {image: x}\n",
             [raw], state, extra="")
    assert len(p.violations) == 1 and p.violations[0].startswith("allow_delete is false")
