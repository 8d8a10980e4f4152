"""after a PATCH, a stale RUNNING is taken for the restarted container when RunPod's
answer carries no runtime.uptime (optional in the v2 schema), though startedAt did not move."""

from __future__ import annotations

from pathlib import Path

from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.engine.test_readiness import StaleAfterPatch
from tests.fakes.clock import ScaledClock
from tests.scenarios.test_apply import BASE, Harness


class NoUptime(StaleAfterPatch):
    def update_pod(self, pod_id, body):  # type: ignore[no-untyped-def]
        before = StaleAfterPatch.render(self, self.pods[pod_id])
        code, out = World.update_pod(self, pod_id, body)
        self.patched[pod_id] = (self.clock(), before)
        return code, out

    def render(self, pod):  # type: ignore[no-untyped-def]
        raw = super().render(pod)
        if isinstance(raw.get("runtime"), dict):
            raw = {**raw, "runtime": {k: v for k, v in raw["runtime"].items() if k != "uptime"}}
        return raw


def test_update_without_uptime_waits_for_the_new_container(tmp_path: Path,
                                                           vclock: ScaledClock) -> None:
    world = NoUptime(clock=vclock, settings=Settings(provisioning_seconds=1, starting_seconds=2))
    with Simulator(world) as sim:
        h = Harness(sim, world, tmp_path, vclock)
        assert h.apply(h.stack()).converged
        vclock.advance(20)  # the first container has been up a while
        h.apply(h.stack(BASE.replace("img:1", "img:2")))
        (pod,) = [p for p in world.pods.values() if not p.terminated]
        # ready must mean the new container is RUNNING, not the stale old one
        assert World.status(world, pod) == "RUNNING", World.status(world, pod)
