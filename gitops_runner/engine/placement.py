"""Placing a new pod: GPU candidates x data centers, and creates whose answer was lost.

RunPod has no idempotency key: a create that times out or answers 5xx may still have
made the pod, and its list lags its writes. So before creating again, the pod is looked
for by its markers, several times, with a delay (CONTRACT §10).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from gitops_runner.engine.clock import Clock
from gitops_runner.engine.journal import Journal
from gitops_runner.plan.desired import DesiredPod, create_body
from gitops_runner.plan.network_volumes import bind_mount
from gitops_runner.plan.observed import parse_pod
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    CapacityError,
    CreateOutcomeUnknownError,
    ForbiddenError,
    RunPodError,
    TransientError,
    placement_error,
)

# After a create whose answer was lost (timeout, 5xx), RunPod may still finish it, and
# its list lags: look again after each of these delays before creating again.
LOOKUP_DELAYS = (0.5, 1.0, 2.0, 4.0)


class ActionFailed(Exception):
    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class Placement:
    """Mixed into the Executor, whose fields these are."""

    client: RunPodClient
    journal: Journal
    stack: str
    secrets: Mapping[str, str]
    log: Callable[[str], None]
    clock: Clock
    cancel: threading.Event
    writes: threading.Semaphore
    lookup_delays: tuple[float, ...]
    _guard: Callable[[], None]  # the Executor's check of its fence before every write

    def _place(self, want: DesiredPod) -> dict[str, Any]:
        """Create on the first candidate that takes it: GPU types in order x data centers.

        Any 400 or 403 moves on to the next candidate (RunPod's capacity 400s carry no
        machine-readable code); when all fail, one error says why (errors.placement_error)."""
        dcs = list(want.public_body.get("dataCenterIds") or [None])
        attempts: list[tuple[str, RunPodError]] = []
        for gpu in want.candidates:
            for dc in dcs:
                body = create_body(want, gpu, self.secrets)
                if dc is not None:
                    body["dataCenterIds"] = [dc]
                label = gpu + (f" in {dc}" if dc else "")
                # A `network_volume: {name}` mounts that volume's copy in this data center.
                bound = bind_mount(body, dc, self.journal.doc)
                if bound is None:
                    self.log(f"{want.logical}: no copy of its network volume in {dc} yet; "
                             "skipping it")
                    continue
                body = bound
                try:
                    pod = self._create_once(want, body)
                except (CapacityError, ForbiddenError) as exc:
                    attempts.append((label, exc))
                    self.log(f"{want.logical}: {label} refused ({exc.detail or exc}), "
                             "trying the next candidate")
                    continue
                if gpu != want.candidates[0]:
                    self.log(f"{want.logical}: placed on fallback GPU {gpu}")
                return pod
        error = placement_error(want.logical, attempts)
        raise ActionFailed(str(error), retry=error.retryable)

    def _create_once(self, want: DesiredPod, body: dict[str, Any]) -> dict[str, Any]:
        for _ in range(3):
            try:
                with self.writes:
                    self._guard()
                    return self.client.create_pod(body)
            except CreateOutcomeUnknownError:
                found = self._look_for_lost_create(want)
                if found is not None:
                    self.log(f"{want.logical}: create reported an error but pod {found['id']} "
                             "exists; adopting it")
                    return found
        raise ActionFailed(f"creating {want.runpod_name} kept failing with server errors",
                           retry=True)

    def _look_for_lost_create(self, want: DesiredPod) -> dict[str, Any] | None:
        for delay in (0.0, *self.lookup_delays):
            if delay and self.clock.sleep(delay, self.cancel):
                return None
            try:
                found = self._find_created(want)
            except TransientError:
                continue
            if found is not None:
                return found
        return None

    def _find_created(self, want: DesiredPod) -> dict[str, Any] | None:
        known = {r.id for r in self.journal.doc.pods.values()}
        known |= {i for r in self.journal.doc.pods.values() for i in r.superseded}
        for raw in self.client.list_pods():
            pod = parse_pod(raw)
            if (pod.stack == self.stack and pod.logical == want.logical
                    and pod.id not in known and pod.status != "TERMINATED"):
                return raw
        return None
