"""Chaos: many seeded applies against the simulator with 5xx, 429, lost creates, lagging
reads, list answers that leave a pod or a network volume out, crashes, mount misreports,
a second lineage, lock takeovers and locked pods mixed in; counts duplicates, leaked pods,
lost volumes and the new faults' failures.

`python bench/chaos.py [SEEDS] [APPLIES]` prints the figures; tests/scenarios/test_chaos.py runs a
few seeds. A crash is the in-process kill -9: the run dies at a random RunPod write,
after the request reached RunPod and before anything else (its answer, the journal).

The issue 22 faults (figures per fault, each with its failure count, all must stay 0):
- a list answer misreports one pod's mounts (`{}`, a network mount without its volumeId,
  a volume without its size; simulator model.MISREPORTS): never a replace (lost volumes);
- a second lineage (another state backend, same project/environment) applies the same
  stack at the same time: any write of either to the other's pods is a foreign touch;
- another holder takes the lock while the run waits (on a 429 Retry-After, on a pod's
  readiness): any RunPod write the run sends after the takeover is a late write;
- a pod is locked in the console (RunPod answers 409 to stop and to a restarting PATCH):
  it is never terminated and state never says it is off.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chaos_rig import Crash, Lineage, Takeover, stack_text  # noqa: E402
from gitops_runner.config import parse_stack  # noqa: E402
from gitops_runner.config.model import Stack  # noqa: E402
from gitops_runner.engine.apply import ApplyOptions, apply_stack  # noqa: E402
from gitops_runner.engine.session import RunPodAccess  # noqa: E402
from gitops_runner.errors import GitopsError  # noqa: E402
from gitops_runner.plan.identity import MARKER_LINEAGE  # noqa: E402
from gitops_runner.runpod.client import RunPodClient  # noqa: E402
from gitops_runner.runpod.simulator.model import LIST_OMITS, MISREPORTS  # noqa: E402
from gitops_runner.runpod.simulator.server import Simulator  # noqa: E402
from gitops_runner.runpod.simulator.world import Fault, Settings, World  # noqa: E402
from tests.fakes.clock import ScaledClock  # noqa: E402


@dataclass
class Figures:
    applies: int = 0
    crashes: int = 0
    faults: int = 0
    duplicates: int = 0
    leaked: int = 0
    lost_volumes: int = 0
    # issue 22: how often each fault happened, and its failure count (must be 0)
    mount_misreports: int = 0
    list_omissions: int = 0  # list answers that left a pod or a volume out
    second_lineage_applies: int = 0
    foreign_touches: int = 0
    takeovers: int = 0
    writes_after_takeover: int = 0
    locked_pods: int = 0
    locked_refusals: int = 0  # RunPod's 409s to a locked pod (the fault working)
    locked_failures: int = 0  # a locked pod terminated, or said off in state
    converged: bool = False

    FAILURES = ("duplicates", "leaked", "lost_volumes", "foreign_touches",
                "writes_after_takeover", "locked_failures")

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.type in ("int", int):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def failed(self) -> bool:
        return any(getattr(self, name) for name in self.FAILURES)


def _stack(version: int, level: str, status: str) -> Stack:
    stack, problems = parse_stack("deploy.yaml", stack_text(version, level, status).encode())
    assert stack is not None, problems
    return stack


def _faults(rng: random.Random) -> list[Fault]:
    menu = [Fault("POST /v2/pods", "5xx", status=503), Fault("POST /v2/pods", "create_then_500"),
            Fault("POST /v2/pods", "capacity"), Fault("GET /v2/pods", "429", seconds=2),
            Fault("GET /v2/pods/*", "5xx", status=502), Fault("PATCH /v2/pods/*", "5xx"),
            Fault("DELETE /v2/pods/*", "5xx", status=500), Fault("GET /v2/pods", LIST_OMITS),
            Fault("GET /v2/network-volumes", LIST_OMITS)]
    return [rng.choice(menu) for _ in range(rng.randint(0, 4))]


def _misreports(rng: random.Random) -> list[Fault]:
    """Mount misreports in list answers: several per apply, so retries meet them too."""
    if rng.random() >= 0.35:
        return []
    return [Fault("GET /v2/pods", rng.choice(MISREPORTS), times=rng.randint(1, 3))]


def _apply(line: Lineage, sim: Simulator, clock: ScaledClock, stack: Stack,
           parallelism: int) -> bool | None:
    """One apply of one lineage; True/False: converged or not, None: crashed."""
    client = RunPodClient(sim.url, "k", session=line.http, max_retry_seconds=20,
                          backoff_base=0.05, sleep=clock.sleep, clock=clock.monotonic)
    try:
        result = apply_stack(line.session, stack, RunPodAccess(client, sim.proxy_url, False,
                                                                0.5),
                             {}, ApplyOptions(parallelism=parallelism))
        return result.converged
    except Crash:
        return None
    except GitopsError:
        return False


def _lock_pods(rng: random.Random, world: World, line: Lineage, locked: set[str],
               figures: Figures) -> None:
    """A person locks one of the pods in the console now and then, and unlocks later."""
    if locked and rng.random() < 0.4:
        for pod_id in locked:
            world.pods[pod_id].locked = False
        locked.clear()
    if rng.random() < 0.2:
        mine = [p for p in world.pods.values() if not p.terminated and p.env.get(
            MARKER_LINEAGE) == line.lineage() and not p.locked]
        if mine:
            pod = rng.choice(mine)
            pod.locked = True
            locked.add(pod.id)
            figures.locked_pods += 1


def _costs(line: Lineage) -> dict[str, float]:
    doc = line.store.read().doc
    return {r.id: r.cost for r in doc.pods.values()} if doc else {}


def _check_locked(world: World, line: Lineage, locked: set[str], running: dict[str, float],
                  figures: Figures) -> None:
    """A locked pod is never terminated, and one running when the apply began (its stop
    answered 409) is never journaled as off (cost 0) while it still runs. `running`:
    those pods' recorded cost before the apply."""
    after = _costs(line)
    for pod_id in locked:
        pod = world.pods[pod_id]
        said_off = (running.get(pod_id, 0) > 0 and after.get(pod_id) == 0
                    and not pod.stopped)
        figures.locked_failures += pod.terminated or said_off


def _round(i: int, rng: random.Random, world: World, sim: Simulator, clock: ScaledClock,
           lines: tuple[Lineage, Lineage], knobs: dict[str, Any], figures: Figures,
           locked: set[str]) -> bool | None:
    first, second = lines
    last = i == knobs["applies"]  # a final calm apply: everything must converge
    if not last:
        if rng.random() < 0.4:
            knobs["version"] += 1  # an in-place change: never a replace
        if rng.random() < 0.2:
            knobs["level"] = rng.choice(["info", "debug", "warn"])
        if rng.random() < 0.15:
            knobs["status"] = "stopped" if knobs["status"] == "running" else "running"
        _lock_pods(rng, world, first, locked, figures)
    else:
        for pod_id in locked:
            world.pods[pod_id].locked = False
        locked.clear()
        knobs["status"] = "running"
    costs = _costs(first)
    running = {pod_id: costs.get(pod_id, 0.0) for pod_id in locked
               if not world.pods[pod_id].stopped}
    world.faults = [] if last else _faults(rng) + _misreports(rng)
    figures.faults += len(world.faults)
    figures.mount_misreports += sum(f.times for f in world.faults if f.kind in MISREPORTS)
    figures.list_omissions += sum(f.times for f in world.faults if f.kind == LIST_OMITS)
    crash_at = None if last or rng.random() < 0.5 else rng.randint(1, 3)
    lag = 0.0 if last else rng.choice([0, 0, 3])
    takeover = None if last or crash_at or rng.random() >= 0.4 else Takeover(
        rng.choice(["retry_after", "readiness"]), first.shared, clock)
    if takeover and takeover.kind == "retry_after":
        world.faults.append(Fault(rng.choice(["POST /v2/pods", "PATCH /v2/pods/*"]), "429",
                                  seconds=15))
    first.begin(clock, crash_at, lag, takeover)
    stack = _stack(knobs["version"], knobs["level"], knobs["status"])
    both = last or rng.random() < 0.25
    other: list[bool | None] = []
    thread = None
    if both and not last:
        second.begin(clock, None, lag, None)
        thread = threading.Thread(target=lambda: other.append(
            _apply(second, sim, clock, stack, 4)))
        thread.start()
    converged = _apply(first, sim, clock, stack, 1 if takeover else 4)
    if thread is not None:
        thread.join(120)
    if last:  # the second lineage's calm apply, after the first's
        second.begin(clock, None, 0.0, None)
        other.append(_apply(second, sim, clock, stack, 4))
        converged = converged and bool(other[-1])
    figures.second_lineage_applies += len(other)
    for line in lines if other else (first,):
        figures.foreign_touches += line.foreign_touches(world)
    if takeover is not None:
        figures.takeovers += bool(takeover.at)
        figures.writes_after_takeover += first.http.writes_after(takeover.at)
        takeover.release()
    figures.locked_refusals += first.http.locked_refusals
    _check_locked(world, first, locked, running, figures)
    return converged


def run_chaos(seed: int, applies: int = 20, factor: float = 50.0) -> Figures:
    rng = random.Random(seed)
    clock = ScaledClock(factor)
    world = World(clock=clock, settings=Settings(provisioning_seconds=1, starting_seconds=2))
    figures = Figures()
    with Simulator(world) as sim:
        lines = (Lineage("first", clock), Lineage("second", clock))
        kept: dict[str, set[str]] = {line.name: set() for line in lines}
        knobs: dict[str, Any] = {"applies": applies, "version": 1, "level": "info",
                                 "status": "running"}
        locked: set[str] = set()
        for i in range(applies + 1):
            converged = _round(i, rng, world, sim, clock, lines, knobs, figures, locked)
            figures.crashes += converged is None
            figures.converged = bool(converged)
            figures.applies += 1
            for line in lines:
                kept[line.name] |= line.healthy()
        for line in lines:
            duplicates, leaked, lost = line.final_figures(world, kept[line.name])
            figures.duplicates += duplicates
            figures.leaked += leaked
            figures.lost_volumes += lost
    return figures


def main(argv: list[str]) -> int:
    seeds = int(argv[1]) if len(argv) > 1 else 20
    applies = int(argv[2]) if len(argv) > 2 else 20
    total = Figures()
    failed = 0
    started = time.monotonic()
    for seed in range(seeds):
        f = run_chaos(seed, applies)
        total.add(f)
        failed += not f.converged
        print(f"seed {seed}: {f}")
    t = total
    print(f"{seeds} seeds x {applies} applies ({t.applies} applies, {t.crashes} crashes,"
          f" {t.faults} injected faults): {t.duplicates} duplicates, {t.leaked} leaked pods,"
          f" {t.lost_volumes} lost volumes, {failed} seeds not converged\n"
          f"  {t.mount_misreports} mount misreports: {t.lost_volumes} lost volumes\n"
          f"  {t.list_omissions} list answers leaving a pod or volume out: "
          f"{t.duplicates} duplicates\n"
          f"  {t.second_lineage_applies} second-lineage applies: {t.foreign_touches} touches "
          "of the other lineage's pods\n"
          f"  {t.takeovers} lock takeovers during waits: {t.writes_after_takeover} RunPod "
          "writes after a takeover\n"
          f"  {t.locked_pods} locked pods ({t.locked_refusals} 409s from RunPod): "
          f"{t.locked_failures} locked pods terminated or said off in state\n"
          f"  ({time.monotonic() - started:.0f} s)")
    return 0 if not (total.failed() or failed) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
