"""plan/moved.py: a `moved` entry renames a pod to a pod entry or a volume to a volume
(CONTRACT §4); state says which its old name was, the error says where the entry is."""

from __future__ import annotations

from gitops_runner.plan.build import make_plan
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.moved import moved_kind_problems
from gitops_runner.plan.statefile import StateDoc
from tests.plan.factories import CATALOG, observed_from, stack_from_yaml
from tests.plan.test_network_volumes import (
    NOW,
    POD,
    fresh_record,
    recorded_as_weights,
    volumes,
)


def test_moved_from_a_recorded_pod_to_a_volume_is_an_error_at_the_entry() -> None:
    stack = stack_from_yaml(POD, "moved: [{from: chat, to: hf-cache}]\n" + volumes())
    state = StateDoc.empty("demo/prod")
    (want,) = desired_pods(stack)
    state = state.with_pod("chat", fresh_record(want, observed_from(want, {})))
    plan = make_plan(stack, state, [], CATALOG, {}, NOW)
    assert "deploy/test.yaml:3:26: moved: 'chat' is a pod (state records it) and 'hf-cache' " \
           "is a volume; a pod moves to a pod entry, a volume to a volume entry" \
        in plan.violations


def test_moved_from_a_recorded_volume_to_a_pod_entry_is_an_error_too() -> None:
    state, _ = recorded_as_weights()
    stack = stack_from_yaml(POD, "moved: [{from: weights, to: api}]\n" + volumes())
    assert moved_kind_problems(stack, state) == [
        "deploy/test.yaml:3:29: moved: 'weights' is a volume (state records it) and 'api' is "
        "a pod; a pod moves to a pod entry, a volume to a volume entry"]
    volume_to_volume = stack_from_yaml(POD, "moved: [{from: weights, to: hf-cache}]\n"
                                       + volumes())
    assert moved_kind_problems(volume_to_volume, state) == []
