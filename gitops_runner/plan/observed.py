"""The pods RunPod really has, as plain data, and which of them are ours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

from gitops_runner.plan.identity import (
    MARKER_LINEAGE,
    MARKER_POD,
    MARKER_SPEC,
    MARKER_STACK,
    sha256_of,
)

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
    # Fields RunPod left out, sent as null or in a shape we cannot read: never compared.
    unknown: frozenset[str] = frozenset()
    uptime: int | None = None  # runtime.uptime: seconds since the container started
    started_at: datetime | None = None

    @property
    def stack(self) -> str | None:
        return self.env.get(MARKER_STACK)

    @property
    def logical(self) -> str | None:
        return self.env.get(MARKER_POD)

    @property
    def spec_marker(self) -> str | None:
        return self.env.get(MARKER_SPEC)

    @property
    def lineage(self) -> str | None:
        """The state lineage it was made under; None on pods from before the marker."""
        return self.env.get(MARKER_LINEAGE)


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    """A whole number, also when sent as 20.0 or "20"; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _ports(value: Any) -> tuple[str, ...] | None:
    # v2 sends a list; GraphQL-style "8000/http,22/tcp" strings have been seen from
    # RunPod's older surfaces, so a string is split rather than read letter by letter.
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    if isinstance(value, list):
        return tuple(str(p) for p in value)
    return None


def _text_or_none(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return str(value) if isinstance(value, str | int | float) else None


def parse_pod(raw: Mapping[str, Any]) -> ObservedPod:
    """Tolerant: unknown statuses and extra fields pass through. A field that is
    missing, null or malformed is listed in `unknown` and never compared, so an
    odd answer can neither crash the plan nor plan a destructive replace."""
    gpu = raw.get("gpu")
    env = raw.get("env") or {}
    unknown: set[str] = set()
    try:
        cost = float(raw.get("cost") or 0.0)
    except (TypeError, ValueError):
        cost = 0.0
    gpu_id = gpu.get("id") if isinstance(gpu, dict) and isinstance(gpu.get("id"), str) else None
    gpu_count = _int(gpu.get("count")) if isinstance(gpu, dict) else None
    if gpu_id is None:
        unknown.add("gpu")
    if gpu_count is None or gpu_count < 1:
        unknown.add("gpu.count")
    fields = {key: _text_or_none(raw, key) for key in ("image", "args", "cloud")}
    unknown.update(key for key, value in fields.items() if value is None)
    ports = _ports(raw.get("ports"))
    disk = _int(raw.get("disk"))
    mounts = raw.get("mounts")
    for key, value in (("ports", ports), ("disk", disk), ("mounts", mounts)):
        if value is None:
            unknown.add(key)
    if "registry" not in raw:
        unknown.add("registry")  # null is a value (no credential); absent is unknown
    return ObservedPod(
        id=PodId(str(raw.get("id", ""))),
        name=str(raw.get("name", "")),
        status=str(raw.get("status") or "UNKNOWN").upper(),
        image=fields["image"] or "",
        args=fields["args"] or "",
        env={str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {},
        ports=ports or (),
        disk=disk,
        mounts=mounts if isinstance(mounts, dict) else {},
        registry=raw.get("registry") if isinstance(raw.get("registry"), str) else None,
        gpu_id=gpu_id,
        gpu_count=gpu_count or 0,
        cloud=fields["cloud"] or "SECURE",
        data_center=_text_or_none(raw, "dataCenterId"),
        cuda_version=_text_or_none(raw, "cudaVersion"),
        cost=cost,
        created_at=_time(raw.get("createdAt")),
        has_runtime_ports=bool(declared_runtime_ports(raw)),
        unknown=frozenset(unknown),
        uptime=_int(raw["runtime"].get("uptime")) if isinstance(raw.get("runtime"), dict)
        else None,
        started_at=_time(raw.get("startedAt")),
    )


def restarted(before: ObservedPod, after: ObservedPod) -> bool:
    """True once `after` shows a container newer than `before`'s: RunPod keeps
    answering with the old container for a while after a PATCH or restart, so
    readiness must not trust RUNNING until this holds (CONTRACT §10)."""
    if after.status != "RUNNING":
        return False
    if before.started_at is not None and after.started_at is not None:
        return after.started_at > before.started_at
    if before.uptime is not None and after.uptime is not None:
        return after.uptime < before.uptime
    return False


def declared_runtime_ports(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The running pod's port mappings for ports the pod declares, with a public side.

    RunPod also maps its own platform port (19123/http, seen in live answers) that
    nobody declared: it is not a user endpoint and says nothing about readiness.
    """
    runtime = raw.get("runtime")
    declared = set(_ports(raw.get("ports")) or ())
    if not isinstance(runtime, dict) or not isinstance(runtime.get("ports"), list):
        return []
    numbers = {d.split("/")[0] for d in declared}
    return [p for p in runtime["ports"] if isinstance(p, dict) and p.get("public")
            and (f"{p.get('private')}/{p.get('type')}" in declared
                 or (p.get("type") is None and str(p.get("private")) in numbers))]


@dataclass(frozen=True)
class Ownership:
    """Our pods by logical name (several when a crash left duplicates) and the warnings."""

    ours: dict[str, list[ObservedPod]]
    unmarked_name_matches: list[ObservedPod]
    # Forgotten with `state rm`: left alone until `state import`.
    unmanaged: list[ObservedPod] = field(default_factory=list)
    # Recorded in state but carrying another stack's markers: not ours.
    foreign: list[ObservedPod] = field(default_factory=list)
    # This stack's markers, another state's lineage (another repository, a copy of the
    # state, a changed bucket prefix): never adopted, changed or deleted (CONTRACT §5).
    other_lineage: list[ObservedPod] = field(default_factory=list)
    # Recorded pods RunPod reports TERMINATED: gone now, whatever the visibility grace.
    terminated: frozenset[str] = frozenset()


def lineage_warnings(ownership: Ownership) -> list[str]:
    return [f"pod {p.id} ({p.name}) carries this stack's markers but belongs to another "
            f"state (lineage {p.lineage}): another repository, a copy of the state, or a "
            "changed state bucket/prefix/path uses the same project and environment. It is "
            "left alone: never adopted, changed or deleted. Give one of them another "
            "project or environment name" for p in ownership.other_lineage]


def split_ownership(stack: str, pods: Iterable[ObservedPod], managed_names: Iterable[str],
                    recorded: Mapping[str, str] | None = None,
                    unmanaged: Mapping[str, str] | None = None,
                    lineage: str | None = None) -> Ownership:
    """Ours: pods with this stack's markers (and, when they carry one, this state's
    `lineage`), and pods whose id state records (`recorded`: pod id -> logical name,
    e.g. after `state import`) unless they carry another stack's markers; never the
    pods `state rm` made unmanaged."""
    names = set(managed_names)
    recorded = recorded or {}
    unmanaged = unmanaged or {}
    ours: dict[str, list[ObservedPod]] = {}
    unmarked: list[ObservedPod] = []
    left: list[ObservedPod] = []
    foreign: list[ObservedPod] = []
    other: list[ObservedPod] = []
    terminated: set[str] = set()
    for pod in pods:
        if pod.status == "TERMINATED":
            if pod.id in recorded:
                terminated.add(pod.id)
            continue
        if pod.id in unmanaged:
            left.append(pod)
        elif pod.id in recorded and pod.stack is not None and pod.stack != stack:
            foreign.append(pod)
        elif (pod.stack == stack and pod.id not in recorded and lineage is not None
              and pod.lineage not in (None, lineage)):
            other.append(pod)
        elif pod.stack == stack and pod.logical:
            ours.setdefault(pod.logical, []).append(pod)
        elif pod.id in recorded:
            ours.setdefault(recorded[pod.id], []).append(pod)
        elif pod.name in names and pod.stack is None:
            unmarked.append(pod)
    for group in ours.values():
        group.sort(key=lambda p: (p.created_at is None, p.created_at, p.id))
    return Ownership(ours, unmarked, left, foreign, other, frozenset(terminated))


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
