"""Write state after every change on RunPod, so a crash at any point leaves a
state the next run continues from."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from gitops_runner.config.model import Stack
from gitops_runner.engine.clock import Clock, SystemClock, utc_text
from gitops_runner.engine.fence import Fence
from gitops_runner.errors import GitopsError
from gitops_runner.plan.statefile import HistoryEntry, PodRecord, StateDoc
from gitops_runner.state.base import StateStore


class Journal:
    """Thread-safe: apply workers record their changes here one at a time."""

    def __init__(self, store: StateStore, doc: StateDoc, token: str | None,
                 clock: Clock | None = None, fence: Fence | None = None) -> None:
        self._store = store
        self.fence = fence
        self._doc = doc
        self._token = token
        self._lock = threading.Lock()
        self.clock = clock or SystemClock()
        self.writes = 0
        self.existed = False  # whether state was stored before this run

    def now_text(self) -> str:
        return utc_text(self.clock)

    @property
    def doc(self) -> StateDoc:
        with self._lock:
            return self._doc

    def update(self, change: Callable[[StateDoc], StateDoc], bump: bool = True) -> StateDoc:
        with self._lock:
            if self.fence is not None:
                self.fence.check_lease()  # a run that lost its lock writes no state
            new = change(self._doc)
            new = new.next_serial() if bump else new
            self._token = self._store.write(new, self._token)
            self._doc = new
            self.writes += 1
            return new

    def replace(self, doc: StateDoc) -> StateDoc:
        """Store `doc` as given (state push): no serial of ours, the store's rules hold."""
        return self.update(lambda _current: doc, bump=False)

    def set_pod(self, logical: str, record: PodRecord | None) -> None:
        self.update(lambda doc: doc.with_pod(logical, record))

    def edit_pod(self, logical: str, **changes: object) -> None:
        def change(doc: StateDoc) -> StateDoc:
            record = doc.pods.get(logical)
            if record is None:
                return doc
            return doc.with_pod(logical, replace(record, **changes))  # type: ignore[arg-type]

        self.update(change)

    def drop_superseded(self, logical: str, pod_id: str) -> None:
        def change(doc: StateDoc) -> StateDoc:
            record = doc.pods.get(logical)
            if record is None or pod_id not in record.superseded:
                return doc
            left = tuple(i for i in record.superseded if i != pod_id)
            return doc.with_pod(logical, replace(record, superseded=left))

        self.update(change)

    def history(self, who: str, operation: str, fingerprint: str, result: str) -> None:
        self.update(lambda doc: doc.with_history(
            HistoryEntry(self.now_text(), who, operation, fingerprint, result)))


class ForeignStateError(GitopsError):
    """The state document read for a stack names another stack."""


def own_state(doc: StateDoc | None, stack: Stack, where: str) -> StateDoc | None:
    """Refuse a state document of another stack (CONTRACT §7): its pods are not ours."""
    if doc is not None and doc.stack != stack.name:
        raise ForeignStateError(
            f"{where} holds the state of {doc.stack}, not {stack.name}; refusing to use it "
            "(its pods would be taken for this stack's). Check state.bucket/prefix/path in "
            f"{stack.file}")
    return doc


def open_journal(store: StateStore, stack: Stack, clock: Clock,
                 lineage: str | None = None, fence: Fence | None = None) -> Journal:
    """Read the stack's state (or start an empty one, with `lineage` if a plan named it)."""
    snapshot = store.read()
    doc = own_state(snapshot.doc, stack, store.describe()) or StateDoc.empty(stack.name, lineage)
    journal = Journal(store, doc, snapshot.token, clock, fence)
    journal.existed = snapshot.doc is not None
    return journal
