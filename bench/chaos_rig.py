"""The chaos bench's rig: the HTTP session that lags, crashes and takes the lock over,
and a lineage (one state backend of the stack with its own leased lock).

A lineage's backend is the in-memory leased store and lock (tests/fakes/memory.py, the
conformance suite's reference): unlike a file lock, its holder can be taken over the way
a DynamoDB or S3 lock can (a force-unlock and another run's lock).
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from typing import Any

import requests

from gitops_runner.engine.session import Session
from gitops_runner.output import Output
from gitops_runner.plan.identity import MARKER_LINEAGE
from gitops_runner.plan.observed import parse_pod
from gitops_runner.runpod.simulator.world import World
from gitops_runner.state.base import LockInfo, RunIdentity
from tests.fakes.clock import ScaledClock
from tests.fakes.memory import MemoryLocker, MemoryStore, Shared

DEPLOY = """\
version: 1
project: {{name: chaos, environment: test}}
state: {{path: .chaos-state}}
# Deletes allowed: a volume must survive a misread on the plan's own rules, not on the gate.
guardrails: {{allow_delete: true}}
pods:
  - name: api
    replicas: 2
    gpu: {{type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000]}}
    volume: {{size_gb: 20, path: /workspace}}
    runtime: {{image: "api:{version}", env: {{LEVEL: "{level}"}}}}
  - name: web
    gpu: {{type: NVIDIA L4}}
    volume: {{size_gb: 10, path: /workspace}}
    status: {status}
    runtime: {{image: "web:1"}}
"""
WRITES = ("POST", "PATCH", "DELETE")


def stack_text(version: int, level: str, status: str) -> str:
    return DEPLOY.format(version=version, level=level, status=status)


class Crash(BaseException):
    """kill -9: nothing after it runs in this process's run (not an Exception)."""


class Takeover:
    """Another holder takes the lineage's lock while the run waits: on a 429 Retry-After
    ("retry_after") or on a pod's readiness ("readiness", a pod read after a write)."""

    def __init__(self, kind: str, shared: Shared, clock: ScaledClock) -> None:
        self.kind, self.shared, self.clock = kind, shared, clock
        self.at: float | None = None

    def fire(self) -> None:
        with self.shared.lock:
            if self.at is not None or self.shared.holder is None:
                return
            self.at = self.clock.time()
            self.shared.holder = LockInfo.new("apply", "chaos/test", RunIdentity("intruder"),
                                              now=datetime.fromtimestamp(self.at, UTC))

    def release(self) -> None:
        """The intruder's own run ends (the next apply must find the lock free)."""
        with self.shared.lock:
            if self.shared.holder is not None and self.shared.holder.who == "intruder":
                self.shared.holder = None


class ChaosSession(requests.Session):
    """Lagging reads (a new pod is invisible to reads for a while), crashes, takeovers;
    records every write it sends (when, method, url) and RunPod's 409s to locked pods."""

    def __init__(self, clock: ScaledClock, crash_at: int | None, lag: float,
                 takeover: Takeover | None) -> None:
        super().__init__()
        self.clock, self.crash_at, self.lag, self.takeover = clock, crash_at, lag, takeover
        self.writes = 0
        self.sent: list[tuple[float, str, str]] = []
        self.locked_refusals = 0
        self.born: dict[str, float] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        method = method.upper()
        if method == "GET" and self.lag:
            pod_id = url.rsplit("/v2/pods/", 1)[-1] if "/v2/pods/" in url else ""
            if pod_id and self.clock() - self.born.get(pod_id, -1e9) < self.lag:
                return _fake(404, b'{"title": "pod not found"}')
        if method in WRITES:
            with self._lock:
                self.sent.append((self.clock(), method, url))
        resp = super().request(method, url, *args, **kwargs)
        if method == "POST" and url.endswith("/v2/pods") and resp.status_code == 201:
            with self._lock:
                self.born[resp.json()["id"]] = self.clock()
        if method == "GET" and url.endswith("/v2/pods") and self.lag and resp.status_code == 200:
            body = resp.json()
            body["pods"] = [p for p in body["pods"]
                            if self.clock() - self.born.get(p["id"], -1e9) >= self.lag]
            resp = _fake(200, requests.compat.json.dumps(body).encode())
        if resp.status_code == 409 and "locked" in resp.text:
            self.locked_refusals += 1
        self._take_over(method, url, resp.status_code)
        if method in WRITES:
            with self._lock:
                self.writes += 1
                crash = self.crash_at is not None and self.writes >= self.crash_at
            if crash:
                raise Crash
        return resp

    def _take_over(self, method: str, url: str, status: int) -> None:
        if self.takeover is None:
            return
        if self.takeover.kind == "retry_after" and status == 429 and method in WRITES:
            self.takeover.fire()  # the client sleeps on its Retry-After next
        elif (self.takeover.kind == "readiness" and method == "GET" and "/v2/pods/" in url
              and any(s[1] in WRITES for s in self.sent)):
            self.takeover.fire()  # a pod read after a write: the run waits for readiness

    def writes_after(self, moment: float | None) -> int:
        return 0 if moment is None else sum(1 for s in self.sent if s[0] >= moment)


def _fake(status: int, body: bytes) -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content = status, body
    resp.headers["Content-Type"] = "application/json"
    return resp


class Lineage:
    """One state of the stack `chaos/test` (its own backend and lock)."""

    def __init__(self, name: str, clock: ScaledClock) -> None:
        self.name, self.clock = name, clock
        self.shared = Shared()
        self.store = MemoryStore(self.shared)
        self.http = ChaosSession(clock, None, 0.0, None)
        self.session = self._session()

    def _session(self) -> Session:
        session = Session(out=Output(out=io.StringIO(), err=io.StringIO()),
                          identity=RunIdentity(f"chaos-{self.name}"), clock=self.clock)
        session.backends = lambda stack, log: (
            MemoryStore(self.shared), MemoryLocker(self.shared, clock=self.clock.time))
        return session

    def begin(self, clock: ScaledClock, crash_at: int | None, lag: float,
              takeover: Takeover | None) -> None:
        self.http = ChaosSession(clock, crash_at, lag, takeover)
        self.session = self._session()

    def lineage(self) -> str | None:
        doc = self.store.read().doc
        return doc.lineage if doc else None

    def healthy(self) -> set[str]:
        doc = self.store.read().doc
        return {r.id for r in doc.pods.values() if r.healthy} if doc else set()

    def foreign_touches(self, world: World) -> int:
        """Writes of this apply to a pod that carries another lineage's marker."""
        mine = self.lineage()
        touched = [url.split("/v2/pods/", 1)[1].split("/")[0]
                   for _, _, url in self.http.sent if "/v2/pods/" in url]
        with world.lock:
            marks = [world.pods[p].env.get(MARKER_LINEAGE) for p in touched if p in world.pods]
        return sum(1 for mark in marks if mine is not None and mark not in (None, mine))

    def final_figures(self, world: World, kept: set[str]) -> tuple[int, int, int]:
        """(duplicates, leaked pods, lost volumes) of this lineage's pods."""
        mine = self.lineage()
        with world.lock:
            live = [parse_pod(world.render(p)) for p in world.pods.values()
                    if not p.terminated and p.env.get(MARKER_LINEAGE) == mine]
        ours = [p for p in live if p.stack == "chaos/test"]
        doc = self.store.read().doc
        recorded = {r.id for r in doc.pods.values()} if doc else set()
        by_name: dict[str, int] = {}
        for pod in ours:
            by_name[pod.logical or ""] = by_name.get(pod.logical or "", 0) + 1
        duplicates = sum(n - 1 for n in by_name.values() if n > 1)
        leaked = sum(1 for p in ours if p.id not in recorded)
        alive = {p.id for p in ours}
        return duplicates, leaked, sum(1 for pod_id in kept if pod_id not in alive)
