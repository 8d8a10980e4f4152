"""The pods RunPod really has, as plain data, and which of them are ours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

from gitops_runner.plan.identity import MARKER_POD, MARKER_SPEC, MARKER_STACK, sha256_of

PodId = NewType("PodId", str)
ALIVE = ("PROVISIONING", "STARTING", "RUNNING")


@dataclass(frozen=True)
class ObservedPod:
    id: PodId
    name: str
    status: str
    image: str = ""
    args: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[str, ...] = ()
    disk: int | None = None
    mounts: Mapping[str, Any] = field(default_factory=dict)
    registry: str | None = None
    gpu_id: str | None = None
    gpu_count: int = 0
    cloud: str = "SECURE"
    data_center: str | None = None
    cuda_version: str | None = None
    cost: float = 0.0
    created_at: datetime | None = None
    has_runtime_ports: bool = False

    @property
    def stack(self) -> str | None:
        return self.env.get(MARKER_STACK)

    @property
    def logical(self) -> str | None:
        return self.env.get(MARKER_POD)

    @property
    def spec_marker(self) -> str | None:
        return self.env.get(MARKER_SPEC)


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_pod(raw: Mapping[str, Any]) -> ObservedPod:
    """Tolerant: unknown statuses and extra fields pass through; missing ones default."""
    gpu = raw.get("gpu") or {}
    env = raw.get("env") or {}
    runtime = raw.get("runtime") or {}
    try:
        cost = float(raw.get("cost") or 0.0)
    except (TypeError, ValueError):
        cost = 0.0
    return ObservedPod(
        id=PodId(str(raw.get("id", ""))),
        name=str(raw.get("name", "")),
        status=str(raw.get("status") or "UNKNOWN").upper(),
        image=str(raw.get("image") or ""),
        args=str(raw.get("args") or ""),
        env={str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {},
        ports=tuple(str(p) for p in raw.get("ports") or []),
        disk=raw.get("disk") if isinstance(raw.get("disk"), int) else None,
        mounts=raw.get("mounts") or {},
        registry=raw.get("registry"),
        gpu_id=gpu.get("id") if isinstance(gpu, dict) else None,
        gpu_count=int(gpu.get("count") or 0) if isinstance(gpu, dict) else 0,
        cloud=str(raw.get("cloud") or "SECURE"),
        data_center=raw.get("dataCenterId"),
        cuda_version=raw.get("cudaVersion"),
        cost=cost,
        created_at=_time(raw.get("createdAt")),
        has_runtime_ports=bool(isinstance(runtime, dict) and any(
            p.get("public") for p in runtime.get("ports") or [] if isinstance(p, dict))),
    )


@dataclass(frozen=True)
class Ownership:
    """Our pods by logical name (several when a crash left duplicates) and the warnings."""

    ours: dict[str, list[ObservedPod]]
    unmarked_name_matches: list[ObservedPod]
    # Forgotten with `state rm`: left alone until `state import`.
    unmanaged: list[ObservedPod] = field(default_factory=list)
    # Recorded in state but carrying another stack's markers: not ours.
    foreign: list[ObservedPod] = field(default_factory=list)


def split_ownership(stack: str, pods: Iterable[ObservedPod], managed_names: Iterable[str],
                    recorded: Mapping[str, str] | None = None,
                    unmanaged: Mapping[str, str] | None = None) -> Ownership:
    """Ours: pods with this stack's markers, and pods whose id state records
    (`recorded`: pod id -> logical name, e.g. after `state import`) unless they carry
    another stack's markers; never the pods `state rm` made unmanaged."""
    names = set(managed_names)
    recorded = recorded or {}
    unmanaged = unmanaged or {}
    ours: dict[str, list[ObservedPod]] = {}
    unmarked: list[ObservedPod] = []
    left: list[ObservedPod] = []
    foreign: list[ObservedPod] = []
    for pod in pods:
        if pod.status == "TERMINATED":
            continue
        if pod.id in unmanaged:
            left.append(pod)
        elif pod.id in recorded and pod.stack is not None and pod.stack != stack:
            foreign.append(pod)
        elif pod.stack == stack and pod.logical:
            ours.setdefault(pod.logical, []).append(pod)
        elif pod.id in recorded:
            ours.setdefault(recorded[pod.id], []).append(pod)
        elif pod.name in names and pod.stack is None:
            unmarked.append(pod)
    for group in ours.values():
        group.sort(key=lambda p: (p.created_at is None, p.created_at, p.id))
    return Ownership(ours, unmarked, left, foreign)


def observed_fingerprint(ours: Mapping[str, list[ObservedPod]]) -> str:
    """What apply compares to tell whether RunPod changed since the plan.

    Status is coarsened (alive / exited / error) so a pod finishing its boot
    between plan and apply does not make the plan stale.
    """
    view = sorted(
        (logical, p.id, p.name, p.spec_marker or "", _status_class(p.status))
        for logical, group in ours.items() for p in group
    )
    return sha256_of(view)


def _status_class(status: str) -> str:
    return "alive" if status in ALIVE else status.lower()
