"""Carry out a plan's network volume actions (CONTRACT §14), journaling each one.

Moves (renames), creates and grows run before any pod (a pod mounts its volume's id, which state holds
once the create is recorded); deletes run after the pods, so no pod still mounts them.
RunPod volumes carry no markers, so a create whose answer was lost is found again only by
name and data center among volumes that did not exist before it was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from gitops_runner.engine.fence import LeaseLostError
from gitops_runner.engine.journal import Journal
from gitops_runner.engine.writer import Writer
from gitops_runner.plan.network_volumes import ObservedVolume, VolumeAction, parse_volume
from gitops_runner.plan.statefile import VolumeIntent, VolumeRecord
from gitops_runner.plan.volume_checks import lost_creates
from gitops_runner.runpod.errors import CreateOutcomeUnknownError, RunPodError


class _Done(Protocol):
    ok: bool
    retry: bool


PodOutcome = TypeVar("PodOutcome", bound=_Done)  # executor.Outcome, passed through
FIRST = ("move", "create", "grow")  # before the pods (a grow of a moved volume: after it)
LAST = ("delete",)  # after them


@dataclass
class VolumeOutcome:
    volume: str
    data_center: str
    action: str
    ok: bool
    detail: str = ""
    retry: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"volume": self.volume, "data_center": self.data_center, "action": self.action,
                "ok": self.ok, "detail": self.detail}


def around_pods(writer: Writer, journal: Journal, actions: Sequence[VolumeAction],
                log: Callable[[str], None],
                run_pods: Callable[[], list[PodOutcome]],
                ) -> tuple[list[PodOutcome], list[VolumeOutcome]]:
    """apply's one hook: creates and grows, then `run_pods` (only if they all worked), then
    deletes (only if every pod action worked, so no pod still mounts a deleted volume)."""
    made = run_volume_actions(writer, journal, actions, FIRST, log)
    if not all(v.ok for v in made):
        return [], made
    outcomes = run_pods()
    if not all(o.ok for o in outcomes):
        return outcomes, made
    return outcomes, [*made, *run_volume_actions(writer, journal, actions, LAST, log)]


def run_volume_actions(writer: Writer, journal: Journal, actions: Sequence[VolumeAction],
                       kinds: tuple[str, ...],
                       log: Callable[[str], None]) -> list[VolumeOutcome]:
    """Every write goes through the run's fenced Writer (the lease, CONTRACT §7)."""
    outcomes = []
    for action in (a for a in actions if a.action in kinds):
        handler = {"move": _move, "create": _create, "grow": _grow,
                   "delete": _delete}[action.action]
        try:
            writer.fence.check()
            detail = handler(writer, journal, action)
        except LeaseLostError as exc:  # no further write: apply reports the lost lease
            outcomes.append(VolumeOutcome(action.volume, action.data_center, action.action,
                                          False, str(exc)))
            break
        except RunPodError as exc:
            log(f"volume {action.volume} [{action.data_center}]: {action.action} failed: {exc}")
            outcomes.append(VolumeOutcome(action.volume, action.data_center, action.action,
                                          False, str(exc), exc.retryable))
            continue
        log(f"volume {action.volume} [{action.data_center}]: {detail}")
        outcomes.append(VolumeOutcome(action.volume, action.data_center, action.action, True,
                                      detail))
    return outcomes


def _create(writer: Writer, journal: Journal, action: VolumeAction) -> str:
    client = writer.reads
    body: dict[str, Any] = {"name": action.runpod_name, "size": action.size_after,
                            "dataCenter": action.data_center}
    if action.type:
        body["type"] = action.type
    listed = [parse_volume(v) for v in client.list_network_volumes()]
    ours = {r.id for r in journal.doc.volumes.values()}
    prior = journal.doc.volume_intents.get(action.runpod_name)
    found = lost_creates(prior, action.runpod_name, listed, ours)
    if len(found) > 1:
        raise RunPodError(f"network volume {action.runpod_name}: {len(found)} volumes of this "
                          "name appeared since a create whose answer was lost "
                          f"({', '.join(v.id for v in found)}); which is ours is unknown, so "
                          "none is created or recorded; another state of this stack may have made "
                          "one of them: check on RunPod which one no stack uses before deleting "
                          "anything")
    if found:
        vol: dict[str, Any] = {"id": found[0].id, "size": found[0].size_gb,
                               "type": found[0].type}
    else:
        vol = _send_create(writer, journal, action, body, listed)
    now = journal.now_text()
    journal.update(lambda doc: doc.with_volume(action.runpod_name, VolumeRecord(
        str(vol["id"]), action.volume, action.data_center, int(vol.get("size") or 0),
        vol.get("type"), now, now)))
    if found:
        return f"recorded network volume {vol['id']}, made by a create whose answer was lost"
    return f"created network volume {vol['id']} ({action.size_after} GB)"


def _send_create(writer: Writer, journal: Journal, action: VolumeAction,
                 body: dict[str, Any], listed: list[ObservedVolume]) -> dict[str, Any]:
    """The intent first (CONTRACT §10): a crash after the POST leaves a state that names
    which same-named volumes were there before it, so the next run finds this one."""
    known = tuple(sorted(v.id for v in listed if v.name == action.runpod_name))
    intent = VolumeIntent(action.volume, action.data_center, known, journal.now_text())
    journal.update(lambda doc: doc.with_volume_intent(action.runpod_name, intent))
    try:
        return writer.create_volume(body)
    except CreateOutcomeUnknownError:
        again = [parse_volume(v) for v in writer.reads.list_network_volumes()]
        found = lost_creates(intent, action.runpod_name, again,
                             {r.id for r in journal.doc.volumes.values()})
        if len(found) != 1:
            raise
        return {"id": found[0].id, "size": found[0].size_gb, "type": found[0].type}


def _move(writer: Writer, journal: Journal, action: VolumeAction) -> str:
    """`moved`: PATCH the RunPod name, then re-key state under it (the same id, so pods
    that mount it keep their mount). A crash between the two leaves the old key, and the
    next plan moves it again: a PATCH of the same name is harmless."""
    assert action.volume_id is not None and action.old_runpod_name is not None
    old = action.old_runpod_name
    writer.rename_volume(action.volume_id, action.runpod_name)
    now = journal.now_text()

    def change(doc: Any) -> Any:
        record = doc.volumes.get(old)
        if record is None:
            return doc
        return doc.with_volume(old, None).with_volume(action.runpod_name, VolumeRecord(
            record.id, action.volume, record.data_center, record.size_gb, record.type,
            record.created_at, now))

    journal.update(change)
    return f"renamed network volume {action.volume_id} {old} -> {action.runpod_name}"


def _grow(writer: Writer, journal: Journal, action: VolumeAction) -> str:
    assert action.volume_id is not None and action.size_after is not None
    vol = writer.grow_volume(action.volume_id, action.size_after)
    now = journal.now_text()

    def change(doc: Any) -> Any:
        record = doc.volumes.get(action.runpod_name)
        if record is None:
            return doc
        return doc.with_volume(action.runpod_name, VolumeRecord(
            record.id, record.volume, record.data_center,
            int(vol.get("size") or action.size_after or record.size_gb), record.type,
            record.created_at, now))

    journal.update(change)
    return f"grew network volume {action.volume_id} {action.size_before} -> " \
           f"{action.size_after} GB"


def _delete(writer: Writer, journal: Journal, action: VolumeAction) -> str:
    if action.volume_id is not None:
        writer.delete_volume(action.volume_id)  # gone already (404): what a delete wants
    journal.update(lambda doc: doc.with_volume(action.runpod_name, None))
    if action.volume_id is None:
        return "forgotten from state (already gone from RunPod)"
    return f"deleted network volume {action.volume_id} and its data ({action.size_before} GB)"


def destroy_volumes(writer: Writer, journal: Journal,
                    log: Callable[[str], None]) -> tuple[list[dict[str, Any]], list[str]]:
    """`destroy` (an explicit command, CONTRACT §6): delete every network volume state
    records, after the pods. Returns (what was deleted, failures); foreign volumes (not in
    state) are never looked at."""
    deleted: list[dict[str, Any]] = []
    failures: list[str] = []
    _record_lost_creates(writer, journal, log)
    for name, record in sorted(journal.doc.volumes.items()):
        try:
            writer.delete_volume(record.id)
        except (RunPodError, LeaseLostError) as exc:
            failures.append(f"volume {name} ({record.id}): {exc}")
            continue
        journal.update(lambda doc, name=name: doc.with_volume(name, None))  # type: ignore[misc]
        log(f"deleted network volume {record.id} ({name}, {record.size_gb} GB in "
            f"{record.data_center}) and its data")
        deleted.append({"name": name, "id": record.id, "size_gb": record.size_gb,
                        "data_center": record.data_center})
    return deleted, failures


def _record_lost_creates(writer: Writer, journal: Journal, log: Callable[[str], None]) -> None:
    """Before destroy deletes what state records: a create whose answer was lost (a kill
    right after the POST) may have made a volume that only its intent knows of."""
    intents = journal.doc.volume_intents
    if not intents:
        return
    listed = [parse_volume(v) for v in writer.reads.list_network_volumes()]
    ours = {r.id for r in journal.doc.volumes.values()}
    now = journal.now_text()
    for name, intent in sorted(intents.items()):
        found = lost_creates(intent, name, listed, ours)
        if len(found) != 1:
            if found:
                log(f"volume {name}: {len(found)} volumes of this name appeared since a "
                    "create whose answer was lost; none is deleted (which is ours is unknown)")
            continue
        vol = found[0]
        record = VolumeRecord(vol.id, intent.volume, intent.data_center, vol.size_gb or 0, vol.type,
                              now, now)
        journal.update(lambda doc, n=name, r=record: doc.with_volume(n, r))  # type: ignore[misc]

