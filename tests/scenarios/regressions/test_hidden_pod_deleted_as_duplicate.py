"""a recorded pod that one pod list leaves out is re-created; when it shows up again it
is terminated as 'a duplicate made by our own lost create', bypassing allow_delete: false."""

from __future__ import annotations

from pathlib import Path

from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import ScaledClock
from tests.scenarios.test_apply import BASE, Harness

VOL = BASE.replace('    ports: ["8000/http"]\n',
                   '    ports: ["8000/http"]\n    volume: {size_gb: 50, path: /workspace}\n')


class Hiding(World):
    hidden: set = set()

    def list_pods(self):  # type: ignore[no-untyped-def]
        code, body = super().list_pods()
        return code, {"pods": [p for p in body["pods"] if p["id"] not in self.hidden]}


def test_reappearing_pod_is_not_deleted_past_allow_delete(tmp_path: Path, vclock: ScaledClock) -> None:
    world = Hiding(clock=vclock, settings=Settings(provisioning_seconds=1, starting_seconds=2))
    world.hidden = set()
    with Simulator(world) as sim:
        h = Harness(sim, world, tmp_path, vclock)
        stack = h.stack(VOL, guard="{allow_delete: false}")
        assert h.apply(stack).converged
        (original,) = h.live()
        world.hidden = {original}           # one stale/partial list from RunPod
        h.apply(stack)
        world.hidden = set()                # it is back
        h.apply(stack)
        alive = [p.id for p in world.pods.values() if not p.terminated]
        assert original in alive, "the original pod (and its volume) was terminated " \
                                  "although allow_delete is false"
