"""Chaos: many seeded applies against the simulator with 5xx, 429, lost creates, lagging
reads and crashes mixed in; counts duplicates, leaked pods and lost volumes.

`python bench/chaos.py [SEEDS] [APPLIES]` prints the figure; tests/test_chaos.py runs a
few seeds. A crash is the in-process kill -9: the run dies at a random RunPod write,
after the request reached RunPod and before anything else (its answer, the journal).
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from gitops_runner.config import parse_stack  # noqa: E402
from gitops_runner.config.model import Stack  # noqa: E402
from gitops_runner.engine.apply import ApplyOptions, apply_stack  # noqa: E402
from gitops_runner.engine.session import RunPodAccess, Session  # noqa: E402
from gitops_runner.errors import GitopsError  # noqa: E402
from gitops_runner.output import Output  # noqa: E402
from gitops_runner.plan.observed import parse_pod  # noqa: E402
from gitops_runner.runpod.client import RunPodClient  # noqa: E402
from gitops_runner.runpod.simulator.server import Simulator  # noqa: E402
from gitops_runner.runpod.simulator.world import Fault, Settings, World  # noqa: E402
from gitops_runner.state.base import RunIdentity  # noqa: E402
from gitops_runner.state.local import LocalStateStore  # noqa: E402
from tests.fakes.clock import ScaledClock  # noqa: E402

DEPLOY = """\
version: 1
project: {{name: chaos, environment: test}}
state: {{path: {path}}}
pods:
  - name: api
    replicas: 2
    gpu: {{type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000]}}
    volume: {{size_gb: 20, path: /workspace}}
    runtime: {{image: "api:{version}", env: {{LEVEL: "{level}"}}}}
  - name: web
    gpu: {{type: NVIDIA L4}}
    volume: {{size_gb: 10, path: /workspace}}
    runtime: {{image: "web:1"}}
"""
WRITES = ("POST", "PATCH", "DELETE")


class Crash(BaseException):
    """kill -9: nothing after it runs in this process's run (not an Exception)."""


class ChaosSession(requests.Session):
    """Lagging reads (a new pod is invisible to reads for a while) and crashes."""

    def __init__(self, clock: ScaledClock, rng: random.Random, crash_at: int | None,
                 lag: float) -> None:
        super().__init__()
        self.clock, self.rng, self.crash_at, self.lag = clock, rng, crash_at, lag
        self.writes = 0
        self.born: dict[str, float] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        method = method.upper()
        if method == "GET" and self.lag:
            pod_id = url.rsplit("/v2/pods/", 1)[-1] if "/v2/pods/" in url else ""
            if pod_id and self.clock() - self.born.get(pod_id, -1e9) < self.lag:
                return _fake(404, b'{"title": "pod not found"}')
        resp = super().request(method, url, *args, **kwargs)
        if method == "POST" and url.endswith("/v2/pods") and resp.status_code == 201:
            with self._lock:
                self.born[resp.json()["id"]] = self.clock()
        if method == "GET" and url.endswith("/v2/pods") and self.lag and resp.status_code == 200:
            body = resp.json()
            body["pods"] = [p for p in body["pods"]
                            if self.clock() - self.born.get(p["id"], -1e9) >= self.lag]
            resp = _fake(200, requests.compat.json.dumps(body).encode())
        if method in WRITES:
            with self._lock:
                self.writes += 1
                crash = self.crash_at is not None and self.writes >= self.crash_at
            if crash:
                raise Crash
        return resp


def _fake(status: int, body: bytes) -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content = status, body
    resp.headers["Content-Type"] = "application/json"
    return resp


@dataclass
class Figures:
    applies: int = 0
    crashes: int = 0
    faults: int = 0
    duplicates: int = 0
    leaked: int = 0
    lost_volumes: int = 0
    converged: bool = False


def _stack(path: str, version: int, level: str) -> Stack:
    text = DEPLOY.format(path=path, version=version, level=level)
    stack, problems = parse_stack("deploy.yaml", text.encode())
    assert stack is not None, problems
    return stack


def _faults(rng: random.Random) -> list[Fault]:
    menu = [Fault("POST /v2/pods", "5xx", status=503), Fault("POST /v2/pods", "create_then_500"),
            Fault("POST /v2/pods", "capacity"), Fault("GET /v2/pods", "429", seconds=2),
            Fault("GET /v2/pods/*", "5xx", status=502), Fault("PATCH /v2/pods/*", "5xx"),
            Fault("DELETE /v2/pods/*", "5xx", status=500)]
    return [rng.choice(menu) for _ in range(rng.randint(0, 4))]


def run_chaos(seed: int, applies: int = 20, factor: float = 50.0) -> Figures:
    rng = random.Random(seed)
    clock = ScaledClock(factor)
    world = World(clock=clock, settings=Settings(provisioning_seconds=1, starting_seconds=2))
    figures = Figures()
    with tempfile.TemporaryDirectory() as state_dir, Simulator(world) as sim:
        store = LocalStateStore(state_dir, "chaos", "test")
        kept: set[str] = set()  # pods once recorded healthy: their volumes must survive
        version, level = 1, "info"
        for i in range(applies + 1):
            last = i == applies  # a final calm apply: everything must converge
            if not last and rng.random() < 0.4:
                version += 1  # an in-place change: never a replace
            if not last and rng.random() < 0.2:
                level = rng.choice(["info", "debug", "warn"])
            world.faults = [] if last else _faults(rng)
            figures.faults += len(world.faults)
            crash_at = None if last or rng.random() < 0.5 else rng.randint(1, 3)
            http = ChaosSession(clock, rng, crash_at, 0.0 if last else rng.choice([0, 0, 3]))
            client = RunPodClient(sim.url, "k", session=http, max_retry_seconds=20,
                                  backoff_base=0.05, sleep=clock.sleep, clock=clock.monotonic)
            session = Session(out=Output(out=io.StringIO(), err=io.StringIO()),
                              identity=RunIdentity("chaos"), clock=clock)
            try:
                result = apply_stack(session, _stack(state_dir, version, level),
                                     RunPodAccess(client, sim.proxy_url, False, 0.5), {},
                                     ApplyOptions(parallelism=4))
                figures.converged = result.converged
            except Crash:
                figures.crashes += 1
            except GitopsError:
                figures.converged = False
            figures.applies += 1
            doc = store.read().doc
            if doc is not None:
                kept |= {r.id for r in doc.pods.values() if r.healthy}
        live = [parse_pod(p) for p in RunPodClient(sim.url, "k").list_pods()]
        ours = [p for p in live if p.stack == "chaos/test" and p.status != "TERMINATED"]
        doc = store.read().doc
        recorded = {r.id for r in doc.pods.values()} if doc else set()
        by_name: dict[str, int] = {}
        for pod in ours:
            by_name[pod.logical or ""] = by_name.get(pod.logical or "", 0) + 1
        figures.duplicates = sum(n - 1 for n in by_name.values() if n > 1)
        figures.leaked = sum(1 for p in ours if p.id not in recorded)
        alive = {p.id for p in ours}
        figures.lost_volumes = sum(1 for pod_id in kept if pod_id not in alive)
    return figures


def main(argv: list[str]) -> int:
    seeds = int(argv[1]) if len(argv) > 1 else 20
    applies = int(argv[2]) if len(argv) > 2 else 20
    total = Figures()
    failed = 0
    started = time.monotonic()
    for seed in range(seeds):
        f = run_chaos(seed, applies)
        for name in ("applies", "crashes", "faults", "duplicates", "leaked", "lost_volumes"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
        failed += not f.converged
        print(f"seed {seed}: {f}")
    print(f"{seeds} seeds x {applies} applies ({total.applies} applies, {total.crashes} crashes,"
          f" {total.faults} injected faults): {total.duplicates} duplicates, {total.leaked} "
          f"leaked pods, {total.lost_volumes} lost volumes, {failed} seeds not converged "
          f"({time.monotonic() - started:.0f} s)")
    return 0 if not (total.duplicates or total.leaked or total.lost_volumes or failed) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
