"""Property: carrying out a plan's actions yields a world whose re-plan is empty."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_runner.plan.build import make_plan
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.model import Plan
from gitops_runner.plan.records import record_spec
from gitops_runner.plan.statefile import PodRecord, StateDoc
from tests.helpers import depths
from tests.plan.factories import CATALOG, observed_from, stack_from_yaml
from tests.plan.test_diff import NOW

GPUS = ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A6000", "NVIDIA L4"]
pod_specs = st.fixed_dictionaries({
    "image": st.sampled_from(["img:1", "img:2"]),
    "gpu": st.sampled_from(GPUS),
    "count": st.integers(1, 2),
    "replicas": st.integers(1, 3),
    "level": st.sampled_from(["info", "debug"]),
    "secret": st.booleans(),
})


def yaml_for(specs: dict[str, dict[str, Any]]) -> str:
    out = "pods:\n"
    for name, s in specs.items():
        secret = ", TOKEN: {secret: TOKEN}" if s["secret"] else ""
        out += (f"  - name: {name}\n    replicas: {s['replicas']}\n"
                f"    gpu: {{type: {s['gpu']}, count: {s['count']}}}\n"
                f"    runtime: {{image: \"{s['image']}\", env: {{LEVEL: {s['level']}{secret}}}}}\n")
    return out


def carry_out(plan: Plan, observed: dict[str, dict[str, Any]], state: StateDoc,
              secrets: dict[str, str], counter: list[int]) -> StateDoc:
    for a in plan.actions:
        if a.action == "delete":
            if a.pod_id:
                observed.pop(a.pod_id, None)
            record = state.pods.get(a.pod)
            if record and (a.pod_id in (None, record.id)) and a.wait_for is None:
                state = state.with_pod(a.pod, None)
            continue
        want = a.desired
        assert want is not None
        if a.action in ("create", "replace"):
            counter[0] += 1
            pod_id = f"new{counter[0]}"
            if a.pod_id:
                observed.pop(a.pod_id, None)
        else:
            pod_id = a.pod_id or ""
        observed[pod_id] = observed_from(want, secrets, pod_id=pod_id)
        state = state.with_pod(want.logical, PodRecord(
            pod_id, want.runpod_name, want.spec_hash, want.candidates[0], 1, 0.1, "t", "t",
            record_spec(want)))
    return state


@pytest.mark.parametrize("examples", depths(60))
def test_property_applying_a_plan_converges(examples: int) -> None:
    settings(max_examples=examples, deadline=None)(given(
        desired=st.dictionaries(st.sampled_from(["api", "web", "train"]), pod_specs, max_size=3),
        before=st.dictionaries(st.sampled_from(["api", "web", "train", "old"]), pod_specs,
                               max_size=3),
        in_state=st.booleans(),
        stopped=st.booleans(),
        secret=st.sampled_from(["s3cret-a", "s3cret-b"]),
    )(check_converges))()


def check_converges(desired: dict[str, Any], before: dict[str, Any], in_state: bool,
                    stopped: bool, secret: str) -> None:
    extra = "guardrails: {allow_delete: true}\n"
    observed: dict[str, dict[str, Any]] = {}
    state = StateDoc.empty("demo/prod", "lineage")
    counter = [0]
    if before:
        old_stack = stack_from_yaml(yaml_for(before), extra)
        for i, want in enumerate(desired_pods(old_stack)):
            status = "EXITED" if stopped and i == 0 else "RUNNING"
            observed[f"old{i}"] = observed_from(want, {"TOKEN": "s3cret-a"}, pod_id=f"old{i}",
                                                status=status)
            if in_state:
                state = state.with_pod(want.logical, PodRecord(
                    f"old{i}", want.runpod_name, want.spec_hash, want.candidates[0], 1, 0.1,
                    "t", "t", record_spec(want)))
    if not desired:
        return
    stack = stack_from_yaml(yaml_for(desired), extra)
    secrets = {"TOKEN": secret}
    first = make_plan(stack, state, list(observed.values()), CATALOG, secrets, NOW)
    state = carry_out(first, observed, state, secrets, counter)
    second = make_plan(stack, state, list(observed.values()), CATALOG, secrets, NOW)
    assert second.actions == (), [(a.pod, a.action, a.reasons) for a in second.actions]
