"""Carry out one logical pod's actions against RunPod, journaling each change."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.engine.clock import Clock, SystemClock
from gitops_runner.engine.fence import Fence, LeaseLostError
from gitops_runner.engine.journal import Journal
from gitops_runner.engine.placement import LOOKUP_DELAYS, ActionFailed, Placement
from gitops_runner.engine.readiness import wait_ready
from gitops_runner.engine.watch import PodWatcher
from gitops_runner.engine.writer import Writer
from gitops_runner.errors import GitopsError
from gitops_runner.plan.desired import DesiredPod, patch_body
from gitops_runner.plan.model import PlanAction
from gitops_runner.plan.observed import ObservedPod, parse_pod
from gitops_runner.plan.records import pod_record, refreshed_record
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import CapacityError, NotFoundError, RunPodError, TransientError


@dataclass
class Outcome:
    pod: str
    action: str
    ok: bool
    detail: str = ""
    retry: bool = False
    gpu: str | None = None
    # For the apply report (§6): the pod acted on, where it runs, and whether it was
    # stopped once checked ready (a declared-stopped or out-of-window pod).
    pod_id: str | None = None
    data_center: str | None = None
    stopped_after: bool = False


@dataclass
class Executor:
    client: RunPodClient  # reads; every write goes through `writer`
    journal: Journal
    stack: str
    secrets: Mapping[str, str]
    proxy_url: str
    log: Callable[[str], None]
    # The run's lease: checked right before every RunPod write; its event ends every wait.
    fence: Fence
    poll_seconds: float = 5.0
    clock: Clock = field(default_factory=SystemClock)
    # RunPod writes run at most --parallelism at a time; waits for readiness do not
    # hold a slot, so they overlap (CONTRACT §10).
    writes: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(8))
    watcher: PodWatcher | None = None
    lookup_delays: tuple[float, ...] = LOOKUP_DELAYS
    # The last RunPod answer recorded per logical pod: what the apply report names.
    placed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cancel = self.fence.event
        self.writer = Writer(self.client, self.fence, self.writes)
        self.placement = Placement(self.writer, self.client, self.stack, self.secrets,
                                   self.log, self._known, self.journal.doc.lineage,
                                   self.lookup_delays, state=lambda: self.journal.doc)

    def _known(self) -> set[str]:
        doc = self.journal.doc
        return {r.id for r in doc.pods.values()} | {i for r in doc.pods.values()
                                                    for i in r.superseded}

    # -- entry -----------------------------------------------------------------
    def run_group(self, actions: list[PlanAction]) -> list[Outcome]:
        """Actions of one logical pod: the main one first, then deletes that wait for it."""
        results: list[Outcome] = []
        main = [a for a in actions if a.wait_for is None]
        after = [a for a in actions if a.wait_for is not None]
        ready = True
        for action in main:
            if self.cancel.is_set():
                break
            outcome = self._run(action)
            results.append(outcome)
            ready = ready and outcome.ok
        for action in after:
            if not ready or self.cancel.is_set():
                results.append(Outcome(action.pod, action.action, False,
                                       "kept until its replacement is ready", retry=False))
                continue
            results.append(self._run(action))
        return results

    def _run(self, action: PlanAction) -> Outcome:
        handler = {"create": self._create, "update": self._update, "replace": self._replace,
                   "delete": self._delete, "adopt": self._adopt, "start": self._update,
                   "stop": self._stop}[action.action]
        try:
            detail, gpu = handler(action)
            if action.stop_after:
                # Created or updated, checked ready: now stopped as declared (CONTRACT §11).
                detail += "; " + self._stop(action)[0]
        except ActionFailed as exc:
            self.log(f"{action.pod}: {action.action} failed: {exc}")
            return Outcome(action.pod, action.action, False, str(exc), exc.retry)
        except LeaseLostError as exc:
            return Outcome(action.pod, action.action, False, str(exc), retry=False)
        except RunPodError as exc:
            self.log(f"{action.pod}: {action.action} failed: {exc}")
            return Outcome(action.pod, action.action, False, str(exc), exc.retryable)
        except GitopsError as exc:
            # A state write refused (a conflict, a store error): this pod's action
            # failed and says why; the rest of the run goes on.
            self.log(f"{action.pod}: {action.action} failed: {exc}")
            return Outcome(action.pod, action.action, False, str(exc), retry=False)
        finally:
            self._forget_moved(action)
        raw = self.placed.get(action.pod, {}) if action.action != "delete" else {}
        return Outcome(action.pod, action.action, True, detail, gpu=gpu,
                       pod_id=str(raw.get("id") or action.pod_id or "") or None,
                       data_center=raw.get("dataCenterId"), stopped_after=action.stop_after)

    # -- actions ------------------------------------------------------------------
    def _create(self, action: PlanAction) -> tuple[str, str | None]:
        want = _desired(action)
        started = self.clock.monotonic()
        pod = self.placement.place(want)
        self._record(want, pod, healthy=False)
        self._await(want, pod["id"], started)
        gpu = (pod.get("gpu") or {}).get("id")
        return f"created pod {pod['id']} on {gpu or 'a GPU RunPod did not name'}", gpu

    def _replace(self, action: PlanAction) -> tuple[str, str | None]:
        want = _desired(action)
        old = action.pod_id
        started = self.clock.monotonic()
        pod = self.placement.place(want)
        self._record(want, pod, healthy=False, superseded=(old,) if old else ())
        self._await(want, pod["id"], started)
        if old:
            self._terminate(old)
            self.journal.drop_superseded(want.logical, old)
        gpu = (pod.get("gpu") or {}).get("id")
        return f"replaced pod {old} with {pod['id']} on {gpu or 'a GPU RunPod did not name'}", gpu

    def _update(self, action: PlanAction) -> tuple[str, str | None]:
        want = _desired(action)
        pod_id = action.pod_id or ""
        if action.state_only:
            # The pod already satisfies the new spec, and any PATCH would restart it.
            record = self.journal.doc.pods.get(want.logical)
            if record is not None:
                self.journal.set_pod(want.logical,
                                     refreshed_record(record, want, self.journal.now_text()))
            return f"recorded the new spec of pod {pod_id} in state (no RunPod request)", None
        started = self.clock.monotonic()
        if action.start:
            try:
                self.writer.start(pod_id)
            except CapacityError as exc:
                raise ActionFailed(
                    f"pod {pod_id} cannot start: its host has no free GPU ({exc.detail}). A "
                    "stopped pod resumes only on its own host; to move it, terminate it on "
                    "RunPod and apply again, which creates it elsewhere", retry=False) from None
        pod: dict[str, Any]
        # A PATCH replaces the pod's whole env, so the keys RunPod injected (PUBLIC_KEY
        # for SSH) are sent back; and readiness must see a container newer than this one.
        current = self._current(pod_id) if action.patch_fields else None
        before = parse_pod(current) if current else None
        if action.patch_fields:
            pod = self.writer.patch(pod_id, patch_body(
                want, action.patch_fields, self.secrets, dict(before.env) if before else {},
                self.placement.lineage, before.mounts if before else None))
        else:
            pod = self.client.get_pod(pod_id)
        self._record(want, pod, healthy=False)
        self._await(want, pod_id, started, restarts=bool(action.patch_fields), before=before)
        return f"updated pod {pod_id} in place", (pod.get("gpu") or {}).get("id")

    def _delete(self, action: PlanAction) -> tuple[str, str | None]:
        if action.pod_id is not None:
            self._terminate(action.pod_id)
        doc = self.journal.doc
        record = doc.pods.get(action.pod)
        if action.wait_for is not None:
            gone = action.pod_id or str((action.before or {}).get("id", ""))
            self.journal.drop_superseded(action.pod, gone)
        elif record is not None and (action.pod_id is None or record.id == action.pod_id):
            self.journal.set_pod(action.pod, None)
        return f"terminated pod {action.pod_id}" if action.pod_id else "removed from state", None

    def _adopt(self, action: PlanAction) -> tuple[str, str | None]:
        want = _desired(action)
        pod = self.client.get_pod(action.pod_id or "")
        self._record(want, pod, healthy=False)
        # An adopted pod may still be booting (a replacement left by a crashed run); the
        # pods waiting to be terminated after it must not go before it is ready.
        self._await(want, str(pod["id"]), self.clock.monotonic())
        return f"adopted pod {action.pod_id}", (pod.get("gpu") or {}).get("id")

    def _stop(self, action: PlanAction) -> tuple[str, str | None]:
        want = _desired(action)
        record = self.journal.doc.pods.get(want.logical)
        pod_id = record.id if record is not None and action.action != "stop" else (
            action.pod_id or "")
        self.writer.stop(pod_id)  # a locked pod raises: nothing is journaled
        if record is None or record.id != pod_id:
            self._record(want, self.client.get_pod(pod_id), healthy=True)
        elif action.action == "stop" and action.changes:
            # Declared fields reviewed with this stop (status) are recorded with it.
            self.journal.set_pod(want.logical,
                                 refreshed_record(record, want, self.journal.now_text()))
        self.journal.edit_pod(want.logical, cost=0.0, idle_since=None, idle_samples=())
        return f"stopped pod {pod_id}", None

    def _forget_moved(self, action: PlanAction) -> None:
        """`moved`: once the pod is recorded under its new name (even if its readiness
        then failed), its old name leaves state (CONTRACT §4)."""
        pods = self.journal.doc.pods
        if action.moved_from and action.moved_from in pods and action.pod in pods:
            with contextlib.suppress(GitopsError):  # a lost lease already says so
                self.journal.set_pod(action.moved_from, None)

    # -- helpers ---------------------------------------------------------------------
    def _terminate(self, pod_id: str) -> None:
        self.writer.delete(pod_id)  # already gone (404): the goal is met

    def _current(self, pod_id: str) -> dict[str, Any] | None:
        """The pod as RunPod has it now (from the shared list when there is one)."""
        try:
            raw = (self.watcher.look(pod_id, 60.0) if self.watcher is not None
                   else self.client.get_pod(pod_id))
        except (NotFoundError, TransientError):
            return None
        return dict(raw) if raw else None

    def _record(self, want: DesiredPod, raw: dict[str, Any], healthy: bool,
                superseded: tuple[str, ...] | None = None) -> None:
        self.placed[want.logical] = raw
        self.journal.set_pod(want.logical, pod_record(
            want, parse_pod(raw), self.journal.doc.pods.get(want.logical),
            self.journal.now_text(), healthy, superseded or ()))

    def _await(self, want: DesiredPod, pod_id: str, started: float,
               restarts: bool = False, before: ObservedPod | None = None) -> None:
        health = want.spec.health_check if want.spec is not None else None
        result = wait_ready(self.client, pod_id, health, self.proxy_url,
                            bool(want.public_body["ports"]), started,
                            lambda text: self.log(f"{want.logical}: {text}"),
                            poll=self.poll_seconds, clock=self.clock, cancel=self.cancel,
                            watcher=self.watcher, restarts=restarts, before=before,
                            secrets=self.secrets)
        if not result.ready:
            raise ActionFailed(f"pod {pod_id} {result.detail}; it is kept, and the next apply "
                               "waits for it again", retry=False)
        self.journal.edit_pod(want.logical, healthy=True, cost=result.cost)
        self.log(f"{want.logical}: ready ({result.detail})")


def _desired(action: PlanAction) -> DesiredPod:
    if action.desired is None:
        raise ActionFailed(f"{action.action} of {action.pod} has no desired spec", retry=False)
    return action.desired
