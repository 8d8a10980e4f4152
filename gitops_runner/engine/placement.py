"""Placing a new pod: GPU candidates x data centers, and creates whose answer was lost.

RunPod has no idempotency key: a create that times out or answers 5xx may still have
made the pod, and its list lags its writes. So before creating again, the pod is looked
for by its markers, several times, with a delay (CONTRACT §10).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_runner.engine.writer import Writer
from gitops_runner.plan.catalog import GpuCatalog
from gitops_runner.plan.desired import DesiredPod, create_body
from gitops_runner.plan.network_volumes import bind_mount
from gitops_runner.plan.observed import parse_pod
from gitops_runner.plan.placement import any_stock
from gitops_runner.plan.statefile import StateDoc
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import (
    CandidateRejectedError,
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


@dataclass
class Placement:
    """Creates through the run's writer; looks for lost creates with plain reads."""

    writer: Writer
    reads: RunPodClient
    stack: str
    secrets: Mapping[str, str]
    log: Callable[[str], None]
    known: Callable[[], set[str]]  # pod ids state records: never a lost create of ours
    lineage: str | None = None  # the state's: every create carries it (CONTRACT §5)
    lookup_delays: tuple[float, ...] = LOOKUP_DELAYS
    # The catalog's stock by (cloud, GPU count), read once per run when needed.
    stock_seen: dict[tuple[str, int], GpuCatalog] = field(default_factory=dict)
    # The run's state, where apply recorded the stack's network volumes (CONTRACT §14).
    state: Callable[[], StateDoc] | None = None

    def place(self, want: DesiredPod) -> dict[str, Any]:
        """Create on the first candidate that takes it: GPU types in order x data centers.

        Any 400 or 403 moves on to the next candidate (RunPod's capacity 400s carry no
        machine-readable code); when all fail, one error says why (errors.placement_error)."""
        dcs = list(want.public_body.get("dataCenterIds") or [None])
        attempts: list[tuple[str, RunPodError]] = []
        for gpu in want.candidates:
            for dc in dcs:
                body = create_body(want, gpu, self.secrets, self.lineage)
                if dc is not None:
                    body["dataCenterIds"] = [dc]
                label = gpu + (f" in {dc}" if dc else "")
                # A `network_volume: {name}` mounts that volume's copy in this data center.
                bound = bind_mount(body, dc, self.state()) if self.state else body
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
        ambiguous = any(isinstance(e, CandidateRejectedError) for _, e in attempts)
        error = placement_error(want.logical, attempts,
                                no_stock=ambiguous and not self._stock_now(want))
        raise ActionFailed(str(error), retry=error.retryable)

    def _stock_now(self, want: DesiredPod) -> bool:
        """Whether RunPod's catalog shows stock for any candidate: read once per run and
        cloud/count (only when a refusal's wording does not say capacity) to tell stock
        from a bad request. A failed read says nothing either way."""
        key = (str(want.public_body["cloud"]), int(want.public_body["gpu"]["count"]))
        if key not in self.stock_seen:
            try:
                raw = self.reads.list_gpu_types(availability=True, cloud=key[0], count=key[1])
            except RunPodError:
                return True
            self.stock_seen[key] = GpuCatalog.from_raw(raw, key[0])
        return any_stock(want, self.stock_seen[key])

    def _create_once(self, want: DesiredPod, body: dict[str, Any]) -> dict[str, Any]:
        for _ in range(3):
            try:
                return self.writer.create(body)
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
            if delay and self.writer.fence.wait(delay):
                return None
            try:
                found = self._find_created(want)
            except TransientError:
                continue
            if found is not None:
                return found
        return None

    def _find_created(self, want: DesiredPod) -> dict[str, Any] | None:
        known = self.known()
        for raw in self.reads.list_pods():
            pod = parse_pod(raw)
            # Another state's pod of the same name is never our lost create (§5).
            ours = pod.lineage is None or pod.lineage == self.lineage
            if (pod.stack == self.stack and pod.logical == want.logical and ours
                    and pod.id not in known and pod.status != "TERMINATED"):
                return raw
        return None
