"""Read-only flows across stacks: observe RunPod, read state, plan and drift.
One RunPod list and one catalog call per run, whatever the number of stacks and pods."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.endpoints import observe_serverless
from gitops_runner.engine.journal import own_state
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError
from gitops_runner.plan import power
from gitops_runner.plan.build import make_plan, ownership_of
from gitops_runner.plan.compare import mounts_unknown
from gitops_runner.plan.desired import desired_pods
from gitops_runner.plan.drift import (
    DriftClass,
    Finding,
    StackDrift,
    find_drift,
    stack_findings,
)
from gitops_runner.plan.endpoint_plan import endpoint_findings, needs_serverless
from gitops_runner.plan.endpoints import ServerlessView
from gitops_runner.plan.model import Plan
from gitops_runner.plan.network_volume_drift import volume_drift
from gitops_runner.plan.network_volumes import needs_volumes
from gitops_runner.plan.observed import lineage_warnings
from gitops_runner.plan.statefile import PodRecord, StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import NotFoundError, TransientError
from gitops_runner.state.base import Snapshot


@dataclass(frozen=True)
class Observation:
    pods: list[dict[str, Any]]
    catalog: list[dict[str, Any]]
    stock_cloud: str | None = None  # the cloud the catalog's availability is for
    volumes: list[dict[str, Any]] = field(default_factory=list)  # CONTRACT §14


def stock_cloud(stacks: Sequence[Stack]) -> str:
    """The cloud most of the stacks' pods use: one catalog request reads stock for one
    cloud (spec `listGpuTypes` `cloud`), so it is read for the most pods."""
    pods = {"SECURE": 0, "COMMUNITY": 0}
    for stack in stacks:
        for spec in stack.pods:
            pods[spec.cloud_type] = pods.get(spec.cloud_type, 0) + spec.replicas
    return "COMMUNITY" if pods["COMMUNITY"] > pods["SECURE"] else "SECURE"


def observe(client: RunPodClient, with_catalog: bool = True,
            states: Sequence[StateDoc] = (), cloud: str = "SECURE",
            with_volumes: bool = False) -> Observation:
    """One pod list (and the catalog). A pod that state records but the list leaves out is
    asked for by id: RunPod's list can lag or drop a pod, and only a 404 means it is gone.
    Planning a create from one short list would make a second pod (and later delete the
    first as a duplicate)."""
    pods = client.list_pods()
    listed = {str(p.get("id")) for p in pods}
    records = {r.id: r for doc in states for r in doc.pods.values()}
    for pod_id in sorted(set(records) - listed):
        try:
            pods.append(client.get_pod(pod_id))
        except NotFoundError:
            continue
    pods = _reread_mounts(client, pods, records)
    volumes = _volumes(client, states) if with_volumes else []
    if not with_catalog:
        return Observation(pods, [], volumes=volumes)
    return Observation(pods, client.list_gpu_types(availability=True, cloud=cloud), cloud,
                       volumes)


def _volumes(client: RunPodClient, states: Sequence[StateDoc]) -> list[dict[str, Any]]:
    """The volume list, and each volume state records that it leaves out, asked for by id:
    as with pods, only a 404 means gone. Planned from one short list, a volume would be
    created again, empty, and the stack's pods moved onto it."""
    volumes = client.list_network_volumes()
    listed = {str(v.get("id")) for v in volumes}
    for volume_id in sorted({r.id for doc in states for r in doc.volumes.values()} - listed):
        with contextlib.suppress(NotFoundError):
            volumes.append(client.get_network_volume(volume_id))
    return volumes


def _reread_mounts(client: RunPodClient, pods: list[dict[str, Any]],
                   records: Mapping[str, PodRecord]) -> list[dict[str, Any]]:
    """A listed pod whose mounts cannot be right (`{}`, a network mount without its id,
    no size where state says it was created with one) is asked for by id (CONTRACT §4);
    if that answer is no better, the plan treats its mounts as unknown."""
    out = []
    for raw in pods:
        record = records.get(str(raw.get("id")))
        if record is not None and mounts_unknown(raw.get("mounts"), record.spec.get("mounts")):
            with contextlib.suppress(NotFoundError, TransientError):
                again = client.get_pod(str(raw["id"]))
                if not mounts_unknown(again.get("mounts"), record.spec.get("mounts")):
                    raw = again
        out.append(raw)
    return out


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
    read = [s for s in states if isinstance(s, StateDoc)]
    seen = observe(client, states=read, cloud=stock_cloud(stacks),
                   with_volumes=needs_volumes(stacks, read))
    serverless = serverless_for(client, stacks, states)
    now = session.now()
    return [StackPlan(stack, make_plan(stack, state, seen.pods, seen.catalog, secrets, now,
                                       seen.stock_cloud, seen.volumes, serverless=serverless))
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
    read = [s for s in states if isinstance(s, StateDoc)]
    seen = observe(client, with_catalog=False, states=read,
                   with_volumes=needs_volumes(stacks, read))
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
                              stack.guardrails.ttl_hours) + stack_findings(stack, state)
        findings += volume_drift(stack, state, seen.volumes)  # CONTRACT §14
        findings += [Finding(name, DriftClass(kind), reasons, resource="endpoint")
                     for name, kind, reasons
                     in endpoint_findings(stack, state, serverless)]  # CONTRACT §14
        out.append(StackDrift(stack, findings, power.notes(desired, state, ownership.ours)
                              + lineage_warnings(ownership)))
    return out
