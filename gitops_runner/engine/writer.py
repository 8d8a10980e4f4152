"""The one way a locked run writes to RunPod: create, patch, start, stop, delete (and the
stack's network volumes: create, rename, grow, delete).

Every write takes a slot (at most --parallelism at a time), checks the run's fence right
before it is sent (the lease's clock and the lock record's holder, CONTRACT §7), and
goes through a client whose own waits (rate limits, retry backoff) end the moment the
lease is lost. Answers that mean "already done" are decided here, once: a 404 on delete
(gone is the goal), a 409 on start or stop after a re-read of the pod shows it in the
wanted state. A 409 on stop of a locked pod is not "already stopped": it keeps billing,
and says so (RUNPOD.md §4.1, the spec's `locked`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from gitops_runner.engine.fence import Fence
from gitops_runner.runpod.client import Pod, RunPodClient
from gitops_runner.runpod.errors import InvalidTransitionError, NotFoundError, RunPodError

T = TypeVar("T")
_ALIVE = ("PROVISIONING", "STARTING", "RUNNING")
_STOPPED = ("EXITED", "STOPPED")


class PodLockedError(RunPodError):
    """The pod is locked on RunPod: it cannot be stopped, and keeps billing."""


class Writer:
    def __init__(self, client: RunPodClient, fence: Fence,
                 slots: threading.Semaphore | None = None) -> None:
        self.client = client.guarded(fence)  # checks the fence right before each send
        self._reads = client
        self.reads = client  # plain reads (no slot): looking for a lost volume create
        self.fence = fence
        self._slots = slots or threading.Semaphore(8)

    def _send(self, what: str, call: Callable[[], T]) -> T:
        with self._slots:
            answer = call()
        self.fence.sent(what)  # answered after the lease was lost: the report says so
        return answer

    def create(self, body: dict[str, Any]) -> Pod:
        """CreateOutcomeUnknownError when the pod may or may not exist (never retried)."""
        return self._send(f"a create of {body.get('name')}",
                          lambda: self.client.create_pod(body))

    def patch(self, pod_id: str, body: dict[str, Any]) -> Pod:
        return self._send(f"a PATCH of pod {pod_id}", lambda: self.client.update_pod(pod_id,
                                                                                     body))

    def delete(self, pod_id: str) -> bool:
        """Terminate; False when RunPod says the pod is already gone (404)."""
        try:
            self._send(f"a terminate of pod {pod_id}", lambda: self.client.delete_pod(pod_id))
        except NotFoundError:
            return False
        return True

    # -- network volumes (CONTRACT §14) --------------------------------------------------
    def create_volume(self, body: dict[str, Any]) -> dict[str, Any]:
        """CreateOutcomeUnknownError when the volume may or may not exist (never retried)."""
        return self._send(f"a create of network volume {body.get('name')}",
                          lambda: self.client.create_network_volume(body))

    def grow_volume(self, volume_id: str, size_gb: int) -> dict[str, Any]:
        return self._send(f"a PATCH of network volume {volume_id}",
                          lambda: self.client.update_network_volume(volume_id,
                                                                    {"size": size_gb}))

    def rename_volume(self, volume_id: str, name: str) -> dict[str, Any]:
        """`moved` (CONTRACT §4): UpdateNetworkVolumeRequest takes a new `name`."""
        return self._send(f"a PATCH of network volume {volume_id}",
                          lambda: self.client.update_network_volume(volume_id, {"name": name}))

    def delete_volume(self, volume_id: str) -> bool:
        """False when RunPod says the volume is already gone (404): the goal is met."""
        try:
            self._send(f"a delete of network volume {volume_id}",
                       lambda: self.client.delete_network_volume(volume_id))
        except NotFoundError:
            return False
        return True

    def start(self, pod_id: str) -> Pod | None:
        """Start; a 409 is "already started" only when a re-read shows it starting or up."""
        try:
            return self._send(f"a start of pod {pod_id}",
                              lambda: self.client.pod_action(pod_id, "start"))
        except InvalidTransitionError as exc:
            pod = self._reread(pod_id, exc)
            if str(pod.get("status")) in _ALIVE:
                return pod
            raise

    def stop(self, pod_id: str) -> Pod | None:
        """Stop; a 409 is "already stopped" only when a re-read shows it stopped."""
        try:
            return self._send(f"a stop of pod {pod_id}",
                              lambda: self.client.pod_action(pod_id, "stop"))
        except InvalidTransitionError as exc:
            pod = self._reread(pod_id, exc)
            if pod.get("locked") is True:
                raise PodLockedError(
                    f"pod {pod_id} is locked on RunPod, which refuses to stop it (409): it "
                    "keeps running and billing. Unlock it in the RunPod console (or "
                    "terminate it) and run again", 409, exc.detail) from None
            if str(pod.get("status")) in _STOPPED:
                return pod
            raise

    def _reread(self, pod_id: str, cause: RunPodError) -> Pod:
        try:
            return self._reads.get_pod(pod_id)
        except RunPodError:
            raise cause from None
