"""Boot time of a model pod: weights downloaded at boot vs read from a filled network volume.

The simulator downloads the served model's weights at `WEIGHTS_GBPS` GB/s (a stated
assumption, runpod/simulator/network_volumes.py) unless they are cached on the pod's network volume.
Measured in virtual seconds (tests' ScaledClock): from the start of an apply that adds one
replica until that replica answers its health check.
"""

from __future__ import annotations

import os
import tempfile

from gitops_runner.config import parse_stack
from gitops_runner.engine.apply import ApplyOptions, apply_stack
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.output import Output
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.simulator.network_volumes import weights_gb
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import ScaledClock

WEIGHTS_GBPS = 0.5  # ~4 Gbit/s from the Hugging Face hub: an assumption, stated
REPO = "meta-llama/Llama-3.1-70B-Instruct"


def _deploy(state_dir: str, replicas: int, volume: bool) -> str:
    mount = "    network_volume: {name: hf-cache, path: /workspace}\n" if volume else ""
    return f"""\
version: 1
project: {{name: boot, environment: bench}}
state: {{path: {state_dir}}}
volumes:
  - {{name: hf-cache, size_gb: 200, data_centers: [EU-RO-1, US-TX-3]}}
pods:
  - name: llm
    replicas: {replicas}
    gpu: {{type: NVIDIA A100 80GB PCIe, count: 2}}
    ports: ["8000/http"]
{mount}    runtime: {{image: "vllm/vllm-openai:v0.6.3"}}
    models: [{{id: llama, repo: {REPO}, load: {{engine: vllm}}}}]
    health_check: {{path: /health, port: 8000, timeout_seconds: 1800, interval_seconds: 5}}
"""


def _timed_apply(session: Session, access: RunPodAccess, text: str, clock: ScaledClock) -> float:
    stack, problems = parse_stack("bench.yaml", text.encode())
    assert stack is not None, problems
    started = clock.time()
    result = apply_stack(session, stack, access, {}, ApplyOptions(poll_seconds=2.0))
    assert result.converged, result.summary()
    return clock.time() - started


def bench_volume_boot(volume: bool) -> tuple[float, float]:
    """(first boot, second replica's boot) in virtual seconds."""
    clock = ScaledClock(factor=200.0)
    world = World(clock=clock.time, settings=Settings(provisioning_seconds=10,
                                                      starting_seconds=20,
                                                      weights_gbps=WEIGHTS_GBPS))
    session = Session(out=Output(out=open(os.devnull, "w"), err=open(os.devnull, "w")))  # noqa: SIM115
    session.clock = clock
    with tempfile.TemporaryDirectory() as tmp, Simulator(world) as sim:
        access = RunPodAccess(RunPodClient(sim.url, "k"), sim.proxy_url, False, 2.0)
        first = _timed_apply(session, access, _deploy(tmp, 1, volume), clock)
        second = _timed_apply(session, access, _deploy(tmp, 2, volume), clock)
    return first, second


def rows() -> list[tuple[str, str, str]]:
    size = weights_gb(REPO)
    cold, warm = bench_volume_boot(volume=True)
    _, bare = bench_volume_boot(volume=False)
    what = f"{REPO.split('/')[1]}, {size:.0f} GB at {WEIGHTS_GBPS} GB/s"
    return [
        (f"model pod boot ({what}): empty volume", f"{cold:.0f} s (virtual)", ""),
        ("  next pod on the filled network volume", f"{warm:.0f} s (virtual)",
         f"< empty by ~{size / WEIGHTS_GBPS:.0f} s"),
        ("  next pod without a volume (container disk)", f"{bare:.0f} s (virtual)",
         "(downloads again)"),
    ]


if __name__ == "__main__":
    for row in rows():
        print(" | ".join(row))
