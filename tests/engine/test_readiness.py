"""Readiness tolerates RunPod's eventual consistency (CONTRACT §10): a new pod missing
from reads for a while, and a stale RUNNING (the old container) right after a PATCH."""

from __future__ import annotations

from pathlib import Path

from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import ScaledClock
from tests.scenarios.test_apply import BASE, Harness


class StaleAfterPatch(World):
    """For a while after a PATCH, reads (and the proxy) still show the old container:
    RunPod's reads lag its writes (CONTRACT §10)."""

    stale_seconds = 4.0

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.patched: dict[str, tuple[float, dict]] = {}  # type: ignore[type-arg]

    def _stale(self, pod_id: str) -> dict | None:  # type: ignore[type-arg]
        at, old = self.patched.get(pod_id, (float("-inf"), {}))
        return old if self.clock() - at < self.stale_seconds else None

    def update_pod(self, pod_id, body):  # type: ignore[no-untyped-def]
        before = self.render(self.pods[pod_id])
        code, out = super().update_pod(pod_id, body)
        self.patched[pod_id] = (self.clock(), before)
        return code, out

    def render(self, pod):  # type: ignore[no-untyped-def]
        old = self._stale(pod.id)
        if old is None:
            return super().render(pod)
        uptime = old["runtime"]["uptime"] + (self.clock() - self.patched[pod.id][0])
        return {**old, "runtime": {**old["runtime"], "uptime": int(uptime)}}

    def proxy_status(self, pod_id: str, port: int) -> int:
        return 200 if self._stale(pod_id) is not None else super().proxy_status(pod_id, port)


def test_apply_update_waits_for_the_restarted_container_not_a_stale_running(
        tmp_path: Path, vclock: ScaledClock) -> None:
    world = StaleAfterPatch(clock=vclock, settings=Settings(provisioning_seconds=1,
                                                             starting_seconds=2))
    with Simulator(world) as sim:
        h = Harness(sim, world, tmp_path, vclock)
        h.apply(h.stack())
        vclock.advance(20)  # the first container has been up a while
        result = h.apply(h.stack(BASE.replace("img:1", "img:2")))
        assert result.converged and result.count("update") == 1
        (pod,) = [p for p in world.pods.values() if not p.terminated]
        assert World.status(world, pod) == "RUNNING", "ready means the new container runs"
        assert any("the old container, not restarted yet" in line for line in h.logs)


class LagAfterCreate(World):
    """A new pod is missing from reads for a while after its create."""

    lag_seconds = 3.0

    def _hidden(self, pod) -> bool:  # type: ignore[no-untyped-def]
        return self.clock() - pod.created_at < self.lag_seconds

    def list_pods(self):  # type: ignore[no-untyped-def]
        code, body = super().list_pods()
        hidden = {p.id for p in self.pods.values() if self._hidden(p)}
        return code, {**body, "pods": [p for p in body["pods"] if p["id"] not in hidden]}

    def get_pod(self, pod_id: str):  # type: ignore[no-untyped-def]
        pod = self.pods.get(pod_id)
        if pod is not None and self._hidden(pod):
            return 404, {"detail": "pod not found"}
        return super().get_pod(pod_id)


def test_apply_tolerates_a_new_pod_missing_from_reads(tmp_path: Path,
                                                      vclock: ScaledClock) -> None:
    world = LagAfterCreate(clock=vclock, settings=Settings(provisioning_seconds=1,
                                                            starting_seconds=2))
    with Simulator(world) as sim:
        h = Harness(sim, world, tmp_path, vclock)
        result = h.apply(h.stack())
        assert result.converged and result.count("create") == 1
        assert any("not visible on RunPod yet" in line for line in h.logs)
        assert len([p for p in world.pods.values() if not p.terminated]) == 1
