"""One pod list per poll round, shared by every pod being waited on.

Waiting pods ask the watcher instead of GETting their own pod: whoever asks first
after the snapshot has aged past `max_age` refreshes it with one list request, and
everyone else in that round reads the same answer. N waiting pods cost one request
per round, not N (RunPod's rate limits are per minute, per key).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from gitops_runner.engine.clock import Clock
from gitops_runner.runpod.client import RunPodClient


class PodWatcher:
    def __init__(self, client: RunPodClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._taken = float("-inf")
        self._pods: dict[str, Mapping[str, Any]] = {}
        self.rounds = 0  # list requests made: what the benchmark reports

    def look(self, pod_id: str, max_age: float) -> Mapping[str, Any] | None:
        """The pod as of a list no older than `max_age` seconds; None when the list
        does not hold it (yet, or any more). TransientError propagates."""
        with self._lock:
            if self._clock.monotonic() - self._taken >= max_age:
                pods = self._client.list_pods()
                self._pods = {str(p.get("id")): p for p in pods}
                self._taken = self._clock.monotonic()
                self.rounds += 1
            return self._pods.get(pod_id)
