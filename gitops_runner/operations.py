"""Read-only operations across stacks: plan and drift. One RunPod list and one
catalog call per run, whatever the number of stacks and pods."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.plan.build import make_plan, ownership_of
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.drift import Finding, find_drift
from gitops_runner.plan.model import Plan
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.state.base import Snapshot
from gitops_runner.state.factory import open_backend


@dataclass(frozen=True)
class Observation:
    pods: list[dict[str, Any]]
    catalog: list[dict[str, Any]]


def observe(client: RunPodClient, with_catalog: bool = True) -> Observation:
    pods = client.list_pods()
    return Observation(pods, client.list_gpu_types() if with_catalog else [])


def read_state(stack: Stack, env: Mapping[str, str],
               warn: Callable[[str], None] | None = None) -> tuple[StateDoc, Snapshot]:
    store, _ = open_backend(stack, env, warn)
    snapshot = store.read()
    doc = snapshot.doc or StateDoc.empty(stack.name)
    return doc, snapshot


@dataclass(frozen=True)
class StackPlan:
    stack: Stack
    plan: Plan


def plan_stacks(stacks: Sequence[Stack], env: Mapping[str, str], client: RunPodClient,
                secrets: Mapping[str, str], now: datetime | None = None) -> list[StackPlan]:
    now = now or datetime.now(UTC)
    states = [read_state(stack, env)[0] for stack in stacks]
    seen = observe(client)
    return [StackPlan(stack, make_plan(stack, state, seen.pods, seen.catalog, secrets, now))
            for stack, state in zip(stacks, states, strict=True)]


@dataclass(frozen=True)
class StackDrift:
    stack: Stack
    findings: list[Finding]


def drift_stacks(stacks: Sequence[Stack], env: Mapping[str, str], client: RunPodClient,
                 secrets: Mapping[str, str], now: datetime | None = None) -> list[StackDrift]:
    now = now or datetime.now(UTC)
    states = [read_state(stack, env)[0] for stack in stacks]
    seen = observe(client, with_catalog=False)
    out = []
    for stack, state in zip(stacks, states, strict=True):
        desired = desired_pods(stack)
        ownership = ownership_of(stack, desired, seen.pods, state)
        out.append(StackDrift(stack, find_drift(desired, state, ownership, secrets, now,
                                                stack.guardrails.ttl_hours)))
    return out


def drift_json(results: Sequence[StackDrift]) -> dict[str, Any]:
    return {"has_drift": any(r.findings for r in results),
            "stacks": [{"stack": r.stack.name, "findings": [f.to_json() for f in r.findings]}
                       for r in results]}
