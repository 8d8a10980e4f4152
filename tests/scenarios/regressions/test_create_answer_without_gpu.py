"""a create answer whose `gpu` is null/absent crashes apply after the pod is made."""

from __future__ import annotations

from pathlib import Path

from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import ScaledClock
from tests.scenarios.test_apply import Harness


class NullGpuOnCreate(World):
    def create_pod(self, body):  # type: ignore[no-untyped-def]
        code, out = super().create_pod(body)
        if code == 201:
            out = {**out, "gpu": None}
        return code, out


def test_create_answer_with_null_gpu(tmp_path: Path, vclock: ScaledClock) -> None:
    world = NullGpuOnCreate(clock=vclock, settings=Settings(provisioning_seconds=1, starting_seconds=2))
    with Simulator(world) as sim:
        h = Harness(sim, world, tmp_path, vclock)
        result = h.apply(h.stack())
        assert result.converged
