"""Read-only flows across stacks: observe RunPod, read state, plan and drift.
One RunPod list and one catalog call per run, whatever the number of stacks and pods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.endpoints import observe_serverless
from gitops_runner.engine.journal import own_state
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError
from gitops_runner.plan import power
from gitops_runner.plan.build import make_plan, ownership_of
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.drift import Finding, StackDrift, find_drift
from gitops_runner.plan.endpoint_plan import endpoint_findings, needs_serverless
from gitops_runner.plan.endpoints import ServerlessView
from gitops_runner.plan.model import Plan
from gitops_runner.plan.observed import lineage_warnings
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import NotFoundError
from gitops_runner.state.base import Snapshot


@dataclass(frozen=True)
class Observation:
    pods: list[dict[str, Any]]
    catalog: list[dict[str, Any]]
    stock_cloud: str | None = None  # the cloud the catalog's availability is for


def stock_cloud(stacks: Sequence[Stack]) -> str:
    """The cloud most of the stacks' pods use: one catalog request reads stock for one
    cloud (spec `listGpuTypes` `cloud`), so it is read for the most pods."""
    pods = {"SECURE": 0, "COMMUNITY": 0}
    for stack in stacks:
        for spec in stack.pods:
            pods[spec.cloud_type] = pods.get(spec.cloud_type, 0) + spec.replicas
    return "COMMUNITY" if pods["COMMUNITY"] > pods["SECURE"] else "SECURE"


def observe(client: RunPodClient, with_catalog: bool = True,
            states: Sequence[StateDoc] = (), cloud: str = "SECURE") -> Observation:
    """One pod list (and the catalog). A pod that state records but the list leaves out is
    asked for by id: RunPod's list can lag or drop a pod, and only a 404 means it is gone.
    Planning a create from one short list would make a second pod (and later delete the
    first as a duplicate)."""
    pods = client.list_pods()
    listed = {str(p.get("id")) for p in pods}
    recorded = {r.id for doc in states for r in doc.pods.values()}
    for pod_id in sorted(recorded - listed):
        try:
            pods.append(client.get_pod(pod_id))
        except NotFoundError:
            continue
    if not with_catalog:
        return Observation(pods, [])
    return Observation(pods, client.list_gpu_types(availability=True, cloud=cloud), cloud)


def read_state(session: Session, stack: Stack) -> tuple[StateDoc, Snapshot]:
    """The stack's state, or an empty one (never written) when there is none yet."""
    store, _ = session.backend(stack)
    snapshot = store.read()
    return own_state(snapshot.doc, stack, store.describe()) or StateDoc.empty(stack.name), snapshot


@dataclass(frozen=True)
class StackPlan:
    stack: Stack
    plan: Plan | None  # None when the stack could not be planned
    error: str = ""  # why not (its state unreadable, of another stack, ...)


def _states(session: Session, stacks: Sequence[Stack]) -> list[StateDoc | str]:
    """Each stack's state, or why it cannot be read: one stack's broken state stops only
    that stack, never the plan or drift of the others (CONTRACT §10)."""
    out: list[StateDoc | str] = []
    for stack in stacks:
        try:
            out.append(read_state(session, stack)[0])
        except GitopsError as exc:
            session.log(f"error: {stack.name}: {exc}")
            out.append(str(exc))
    return out


def plan_stacks(session: Session, stacks: Sequence[Stack], client: RunPodClient,
                secrets: Mapping[str, str]) -> list[StackPlan]:
    states = _states(session, stacks)
    seen = observe(client, states=[s for s in states if isinstance(s, StateDoc)],
                   cloud=stock_cloud(stacks))
    serverless = serverless_for(client, stacks, states)
    now = session.now()
    return [StackPlan(stack, make_plan(stack, state, seen.pods, seen.catalog, secrets, now,
                                       seen.stock_cloud, serverless=serverless))
            if isinstance(state, StateDoc) else StackPlan(stack, None, state)
            for stack, state in zip(stacks, states, strict=True)]


def serverless_for(client: RunPodClient, stacks: Sequence[Stack],
                   states: Sequence[StateDoc | str]) -> ServerlessView | None:
    """Templates and endpoints, read only when a stack has (or had) endpoints, so a
    pods-only run makes the same requests as before (CONTRACT §14)."""
    if any(needs_serverless(s, d if isinstance(d, StateDoc) else None)
           for s, d in zip(stacks, states, strict=True)):
        return observe_serverless(client)
    return None


def drift_stacks(session: Session, stacks: Sequence[Stack], client: RunPodClient,
                 secrets: Mapping[str, str]) -> list[StackDrift]:
    states = _states(session, stacks)
    seen = observe(client, with_catalog=False,
                   states=[s for s in states if isinstance(s, StateDoc)])
    serverless = serverless_for(client, stacks, states)
    now = session.now()
    out = []
    for stack, state in zip(stacks, states, strict=True):
        if not isinstance(state, StateDoc):
            out.append(StackDrift(stack, [], error=state))
            continue
        desired = desired_pods(stack)
        ownership = ownership_of(stack, desired, seen.pods, state)
        findings = find_drift(desired, state, ownership, secrets, now,
                              stack.guardrails.ttl_hours)
        findings += [Finding(name, kind, reasons, resource="endpoint") for name, kind, reasons
                     in endpoint_findings(stack, state, serverless)]  # CONTRACT §14
        out.append(StackDrift(stack, findings, power.notes(desired, state, ownership.ours)
                              + lineage_warnings(ownership)))
    return out
