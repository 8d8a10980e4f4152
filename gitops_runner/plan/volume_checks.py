"""Network volume rules that keep data and ids safe (CONTRACT §4, §10, §14). Pure.

RunPod volumes carry no markers, so a create whose answer was lost (a kill right after
the POST) is found again only through the intent journaled before it; and a volume the
file still mounts by id is never deleted under the pod or endpoint that mounts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from gitops_runner.config.model import Guardrails, Stack
from gitops_runner.plan.changes import Violation
from gitops_runner.plan.statefile import VolumeIntent


class _Listed(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def data_center(self) -> str | None: ...


V = TypeVar("V", bound=_Listed)


def lost_creates(intent: VolumeIntent | None, runpod_name: str,
                 observed: Iterable[V], ours: set[str]) -> list[V]:
    """What a journaled create whose answer was lost may have made: a volume with its name
    and data center that RunPod did not have before it was sent and that state does not
    record. Exactly one is that create's; none, it never landed; more, it cannot be told."""
    if intent is None:
        return []
    return [v for v in observed if v.name == runpod_name and v.data_center ==
            intent.data_center and v.id not in intent.known and v.id not in ours]


def mounted_by_id(stack: Stack) -> dict[str, list[str]]:
    """Volume id -> the pod and endpoint entries that mount it as `network_volume: {id}`."""
    out: dict[str, list[str]] = {}
    for kind, specs in (("pod", stack.pods), ("endpoint", stack.endpoints)):
        for spec in specs:
            mount = spec.network_volume
            if mount is not None and mount.id:
                out.setdefault(mount.id, []).append(f"{kind} {spec.name}")
    return out


def still_mounted(stack: Stack, name: str, volume_id: str, volume: str) -> list[str]:
    """A plan error when a volume removed from `volumes` is still mounted by id."""
    users = mounted_by_id(stack).get(volume_id)
    if not users:
        return []
    return [f"volume {volume}: network volume {name} ({volume_id}) is removed from volumes, "
            f"but {', '.join(users)} still mount(s) it by id; deleting it would take their "
            "data: keep the volume, or change those mounts first"]


def data_center_moved(volume: str, wanted: str, volume_id: str, actual: str | None) -> str:
    """One `data_center` keeps the RunPod name, so the recorded volume would pass for the
    moved one; a volume cannot move, and pods placed in the new one could not mount it."""
    if actual is None or actual == wanted:
        return ""
    return (f"volume {volume}: data_center is fixed at creation (network volume {volume_id} "
            f"is in {actual}, the file says {wanted}); set it back, or list both under "
            "data_centers, or declare a new volume under another name and remove this one")


def delete_gates(guard: Guardrails, volume: str, name: str, volume_id: str,
                 size: int | None, data_center: str) -> list[Violation]:
    """A network volume removed from the file is data lost (CONTRACT §4): it needs
    allow_data_loss, and allow_delete must allow a delete at all."""
    what = f"network volume {name} ({volume_id}, {size} GB in {data_center}) and the data on it"
    out = []
    if not guard.allow_delete:
        out.append(Violation("allow_delete", False, [name],
                             f"allow_delete is false, but removing volume {volume} would delete "
                             f"{what}; put it back under volumes, or set "
                             "guardrails.allow_delete: true"))
    if not guard.allow_data_loss:
        out.append(Violation("allow_data_loss", False, [name],
                             f"allow_data_loss: removing volume {volume} would delete {what}; "
                             "put it back under volumes, or set guardrails.allow_data_loss: "
                             "true to delete it"))
    return out
