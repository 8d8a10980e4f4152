"""destroy: terminate every managed pod of the stack (state or markers) and empty state.

What will go is listed before anyone is asked, and again in the report: each pod, and
the volume that goes with it (a pod volume lives and dies with its pod).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.endpoints import destroy_endpoints
from gitops_runner.engine.locked import locked
from gitops_runner.engine.network_volumes import destroy_volumes
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.engine.writer import Writer
from gitops_runner.plan.endpoint_plan import needs_serverless
from gitops_runner.plan.observed import ObservedPod, parse_pod
from gitops_runner.plan.previews import REPO_MARKER, from_repository
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import RunPodError


@dataclass(frozen=True)
class Target:
    pod_id: str
    pod: str  # the logical name, or RunPod's name for a pod state does not record
    volume: str = ""  # "20 GB pod volume at /workspace" when data goes with the pod

    def describe(self) -> str:
        return f"{self.pod} (pod {self.pod_id})" + (
            f", with its {self.volume}" if self.volume else "")


@dataclass
class Destroyed:
    stack: str
    targets: list[Target] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # Network volumes state records (CONTRACT §14): deleted after the pods, and said so.
    volumes: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)  # what state records, before asking
    volumes_deleted: list[dict[str, Any]] = field(default_factory=list)
    endpoints_deleted: list[str] = field(default_factory=list)  # with their templates (§14)

    @property
    def terminated(self) -> int:
        failed = {f.split(":", 1)[0] for f in self.failures}
        return sum(1 for t in self.targets if t.pod_id not in failed)


def _volume(pod: ObservedPod | None) -> str:
    persistent = pod.mounts.get("persistent") if pod is not None else None
    if not isinstance(persistent, Mapping):
        return ""
    size = persistent.get("size")
    return f"{size} GB pod volume at {persistent.get('path') or '?'}"


def destroy_targets(stack: Stack, doc: StateDoc, observed: Iterable[Mapping[str, Any]],
                    stored: bool = True, repository: str = "") -> Destroyed:
    """What destroy terminates: pods state records and pods with this stack's markers;
    never unmanaged pods or another stack's, nor, when this state is `stored`, another
    state's (lineage). With no state at all (lost, or never written) the markers alone
    decide, as the listing shown before the question says; a preview pod stamped by another
    `repository` (owner/name, in Actions) is never ours, with or without state."""
    pods: dict[str, ObservedPod] = {p.id: p for p in (parse_pod(raw) for raw in observed)
                                    if p.status != "TERMINATED"}
    names = {r.id: name for name, r in doc.pods.items()}
    names |= {i: f"{name} (replaced)" for name, r in doc.pods.items() for i in r.superseded}
    marked = {p.id for p in pods.values() if p.stack == stack.name}
    out = Destroyed(stack.name)
    for pod_id in sorted(set(names) | marked):
        pod = pods.get(pod_id)
        why = ""
        if pod_id in doc.unmanaged:
            why = "unmanaged since 'state rm'"
        elif pod is not None and pod.stack is not None and pod.stack != stack.name:
            why = "it carries another stack's markers"
        elif stored and pod is not None and pod.lineage not in (None, doc.lineage):
            why = f"it belongs to another state of this stack (lineage {pod.lineage})"
        elif pod is not None and pod.id not in names and not from_repository(pod, repository):
            why = f"it is a preview of repository {pod.env.get(REPO_MARKER)}"
        if why:
            out.left_alone.append(f"{stack.name}: leaving pod {pod_id} alone: {why}")
            continue
        label = names.get(pod_id) or (pod.logical if pod and pod.logical else pod_id)
        out.targets.append(Target(pod_id, label, _volume(pod)))
    out.volumes = [f"network volume {name} ({rec.size_gb} GB in {rec.data_center}) and its "
                   "data" for name, rec in sorted(doc.volumes.items())] + [
        f"network volume {name} in {intent.data_center}, if the create whose answer was lost "
        "made it" for name, intent in sorted(doc.volume_intents.items())]
    out.endpoints = [f"serverless endpoint {rec.runpod_name} ({rec.id or 'not created yet'}) "
                     "and its template" for _, rec in sorted(doc.endpoints.items())]
    if not stored and out.targets:
        out.left_alone.append(f"{stack.name}: no state is stored for this stack, so its pods "
                              "were found by their markers alone (any state's)")
    return out


def preview_destroy(session: Session, stack: Stack, client: RunPodClient) -> Destroyed:
    """Read-only: what destroy would terminate now (shown before asking)."""
    doc, snapshot = read_state(session, stack)
    return destroy_targets(stack, doc, client.list_pods(), snapshot.doc is not None,
                           session.repository)


def run_destroy(session: Session, stack: Stack, access: RunPodAccess, parallelism: int = 8,
                unlock_errors: list[str] | None = None) -> Destroyed:
    """Terminate the stack's pods under its lock and empty its state. With
    `unlock_errors`, a failure to release lands there instead of being raised."""
    with locked(session, stack, "destroy", unlock_errors=unlock_errors) as flow:
        journal = flow.journal
        doc = journal.doc
        result = destroy_targets(stack, doc, access.client.list_pods(), journal.existed,
                                 session.repository)
        for line in result.left_alone:
            session.log(line)
        writer = Writer(access.client, flow.fence)

        def terminate(target: Target) -> None:
            try:
                writer.delete(target.pod_id)  # already gone (404): the goal is met
                session.log(f"terminated {target.describe()}")
            except RunPodError as exc:
                result.failures.append(f"{target.pod_id}: {exc}")

        with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
            list(pool.map(terminate, result.targets))
        failed = {f.split(":", 1)[0] for f in result.failures}
        if needs_serverless(stack, doc):  # serverless endpoints (CONTRACT §14)
            gone, endpoint_failures = destroy_endpoints(
                access.client.guarded(flow.fence), journal, stack.name, doc.lineage,
                flow.fence, session.log)
            result.endpoints_deleted, result.failures = gone, [*result.failures,
                                                                *endpoint_failures]
        if doc.pods or journal.existed:
            journal.update(lambda d: replace(d, pods={
                name: rec for name, rec in d.pods.items() if rec.id in failed}))
        if (doc.volumes or doc.volume_intents) and not result.failures:  # none mounted now
            deleted, volume_failures = destroy_volumes(writer, journal, session.log)
            result.failures += volume_failures
            result.volumes_deleted = deleted
        if doc.pods or journal.existed:
            journal.history(session.identity.actor, "destroy", "",
                            "failed" if result.failures else "destroyed")
    return result


def destroy_stack(session: Session, stack: Stack, access: RunPodAccess,
                  parallelism: int = 8,
                  unlock_errors: list[str] | None = None) -> tuple[int, list[str]]:
    """Returns (pods terminated, failures)."""
    result = run_destroy(session, stack, access, parallelism, unlock_errors)
    return result.terminated, result.failures
