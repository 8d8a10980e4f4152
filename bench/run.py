"""Benchmarks: prints a table of figures. Not a timed test; run `python bench/run.py`.

- plan at 10/50/200 pods: RunPod requests and wall time, and the local overhead
  (wall time minus time spent waiting on HTTP);
- apply of 50 creates with 300 ms of simulated latency per request, parallel vs one
  at a time;
- cold start of `gitops-runner --version` and `validate` of a 200-pod file;
- peak memory of `plan` at 200 pods;
- readiness-notice lag: how long after a pod is ready (RUNNING, ports mapped, health 2xx,
  as the simulator computes it) apply says so, at the production poll of 5 s;
- boot of a 70B model pod: weights downloaded vs read from a filled network volume.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.volume_boot import rows as volume_boot_rows  # noqa: E402
from gitops_runner.config import parse_stack  # noqa: E402
from gitops_runner.config.model import Stack  # noqa: E402
from gitops_runner.engine.apply import ApplyOptions, apply_stack  # noqa: E402
from gitops_runner.engine.observe import plan_stacks  # noqa: E402
from gitops_runner.engine.session import RunPodAccess, Session  # noqa: E402
from gitops_runner.output import Output  # noqa: E402
from gitops_runner.plan.desired import create_body, desired_pods  # noqa: E402
from gitops_runner.runpod.client import RunPodClient  # noqa: E402
from gitops_runner.runpod.simulator import view  # noqa: E402
from gitops_runner.runpod.simulator.server import Simulator  # noqa: E402
from gitops_runner.runpod.simulator.world import Settings, World  # noqa: E402


def quiet_session() -> Session:
    return Session(out=Output(out=open(os.devnull, "w"), err=open(os.devnull, "w")))  # noqa: SIM115


def deploy_text(pods: int, state_dir: str) -> str:
    head = f"""\
version: 1
project: {{name: bench, environment: prod}}
state: {{path: {state_dir}}}
guardrails: {{allow_delete: true}}
pods:
"""
    entries = []
    for group in range(0, pods, 50):  # the schema caps replicas at 100 per entry
        entries.append(f"""\
  - name: api{group // 50}
    replicas: {min(50, pods - group)}
    gpu: {{type: NVIDIA GeForce RTX 4090, fallback: [NVIDIA RTX A6000]}}
    ports: ["8000/http"]
    runtime: {{image: "img:1", env: {{LEVEL: info}}}}
""")
    return head + "".join(entries)


def stack_of(pods: int, state_dir: str) -> Stack:
    stack, problems = parse_stack("bench.yaml", deploy_text(pods, state_dir).encode())
    assert stack is not None, problems
    return stack


class TimedClient(RunPodClient):
    """Counts the seconds spent inside HTTP calls, to separate local overhead."""

    http_seconds = 0.0

    def _call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return super()._call(*args, **kwargs)
        finally:
            self.http_seconds += time.perf_counter() - start


def bench_plan(pods: int, existing: bool) -> tuple[int, float, float]:
    world = World(settings=Settings(provisioning_seconds=0, starting_seconds=0,
                                    rate_per_minute=10**6))
    # Enough stock for every pod on its first GPU, so "existing" seeds them all there.
    world.capacity = dict.fromkeys(world.capacity, 10**4)
    with tempfile.TemporaryDirectory() as tmp, Simulator(world) as sim:
        stack = stack_of(pods, tmp)
        if existing:
            seed = RunPodClient(sim.url, "k")
            for want in desired_pods(stack):
                seed.create_pod(create_body(want, want.candidates[0], {}))
        runs = []
        for _ in range(5):
            client = TimedClient(sim.url, "k")
            start = time.perf_counter()
            plan_stacks(quiet_session(), [stack], client, {})
            wall = time.perf_counter() - start
            runs.append((client.request_count, wall, wall - client.http_seconds))
        return runs[0][0], statistics.median(r[1] for r in runs), \
            statistics.median(r[2] for r in runs)


def bench_apply(creates: int, parallelism: int, latency: float) -> float:
    world = World(settings=Settings(provisioning_seconds=0, starting_seconds=0,
                                    latency_seconds=latency, rate_per_minute=10**6))
    with tempfile.TemporaryDirectory() as tmp, Simulator(world) as sim:
        stack = stack_of(creates, tmp)
        client = RunPodClient(sim.url, "k")
        start = time.perf_counter()
        access = RunPodAccess(client, sim.proxy_url, False, 0.05)
        result = apply_stack(quiet_session(), stack, access, {},
                             ApplyOptions(parallelism=parallelism))
        assert result.converged and result.count("create") == creates
        return time.perf_counter() - start


def bench_boot_bound(creates: int, boot: float, latency: float,
                     poll: float = 1.0) -> tuple[float, float]:
    """Returns (apply wall time / one boot, RunPod reads per poll round while waiting)."""
    world = World(settings=Settings(provisioning_seconds=boot * 0.4, starting_seconds=boot * 0.6,
                                    latency_seconds=latency, rate_per_minute=10**6))
    with tempfile.TemporaryDirectory() as tmp, Simulator(world) as sim:
        sim.exchanges = []
        stack = stack_of(creates, tmp)
        access = RunPodAccess(RunPodClient(sim.url, "k"), sim.proxy_url, False, poll)
        start = time.perf_counter()
        result = apply_stack(quiet_session(), stack, access, {}, ApplyOptions())
        wall = time.perf_counter() - start
        assert result.converged and result.count("create") == creates
        reads = sum(1 for ex in sim.exchanges if ex.method == "GET" and ex.path.startswith("/v2/pods"))
        return wall / boot, reads / max(1.0, wall / poll)


class StampedLog(io.StringIO):
    """The apply log with the wall time of each line."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.lines.append((time.time(), text))
        return len(text)


def bench_ready_lag(pods: int, boot: float, poll: float, health: str) -> float:
    """The worst lag (s) between a pod being ready and apply logging it ready."""
    world = World(settings=Settings(provisioning_seconds=boot * 0.4, starting_seconds=boot * 0.6,
                                    ports_after=0.5, healthy_after=1.0, rate_per_minute=10**6))
    with tempfile.TemporaryDirectory() as tmp, Simulator(world) as sim:
        text = deploy_text(pods, tmp).replace(
            'ports: ["8000/http"]', f'ports: ["8000/http"]\n    {health}' if health else
            'ports: ["8000/http"]')
        stack, problems = parse_stack("bench.yaml", text.encode())
        assert stack is not None, problems
        log = StampedLog()
        session = Session(out=Output(out=open(os.devnull, "w"), err=log))  # noqa: SIM115
        access = RunPodAccess(RunPodClient(sim.url, "k"), sim.proxy_url, False, poll)
        assert apply_stack(session, stack, access, {}, ApplyOptions()).converged
        lags = []
        for pod in world.pods.values():
            logical = pod.name.removeprefix("bench-prod-")
            ready = view.running_since(world, pod) + world.settings.ports_after + \
                ((pod.healthy_after or 0.0) if health else 0.0)
            noticed = next(t for t, line in log.lines if line.startswith(f"{logical}: ready"))
            lags.append(noticed - ready)
        return max(lags)


def cold(cmd: list[str], cwd: str) -> float:
    exe = Path(sys.executable).with_name("gitops-runner")
    runs = []
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run([str(exe), *cmd], cwd=cwd, check=True, capture_output=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def plan_peak_memory_mb(pods: int) -> float:
    code = f"""
import resource, sys
sys.path.insert(0, {str(ROOT)!r})
sys.argv = ['x']
from bench.run import bench_plan
bench_plan({pods}, True)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    for pods in (10, 50, 200, 1000):
        for existing in (False, True):
            requests_made, wall, local = bench_plan(pods, existing)
            what = "converged" if existing else "all creates, placement predicted"
            rows.append((f"plan, {pods} pods ({what})",
                         f"{requests_made} requests, {wall * 1000:.0f} ms wall, "
                         f"{local * 1000:.0f} ms local",
                         "2 requests; local < 150 ms at 200; wall < 500 ms at 1000"))
    latency = 0.3
    parallel = bench_apply(50, 8, latency)
    wider = bench_apply(50, 16, latency)
    serial = bench_apply(50, 1, latency)
    rows.append(("apply 50 creates, 300 ms latency, parallelism 8",
                 f"{parallel:.1f} s ({serial / parallel:.1f}x vs one at a time)", ">= 4x"))
    rows.append(("apply 50 creates, 300 ms latency, parallelism 16",
                 f"{wider:.1f} s ({serial / wider:.1f}x vs one at a time)", "(reported)"))
    rows.append(("apply 50 creates, 300 ms latency, one at a time", f"{serial:.1f} s", ""))
    ratio, per_round = bench_boot_bound(50, boot=6.0, latency=0.02)
    rows.append(("apply 50 creates, 6 s boot, 20 ms latency: wall / one boot",
                 f"{ratio:.2f}x", "<= 1.5x"))
    rows.append(("  RunPod reads per poll round while waiting (50 pods)", f"{per_round:.2f}", "<= 2"))
    lag = bench_ready_lag(5, boot=6.0, poll=5.0, health="")
    rows.append(("readiness-notice lag, 5 pods, poll 5 s, no health check",
                 f"{lag:.1f} s", "<= 5 s"))
    lag = bench_ready_lag(5, boot=6.0, poll=5.0,
                          health="health_check: {path: /health, port: 8000, "
                                 "interval_seconds: 2}")
    rows.append(("readiness-notice lag, 5 pods, poll 5 s, health check every 2 s",
                 f"{lag:.1f} s", "<= 5 s"))
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "deploy.yaml").write_text(deploy_text(200, tmp))
        rows.append(("cold start: gitops-runner --version",
                     f"{cold(['--version'], tmp) * 1000:.0f} ms", "200 ms"))
        rows.append(("cold start: validate, 200-pod file",
                     f"{cold(['validate'], tmp) * 1000:.0f} ms", "300 ms"))
    rows.append(("peak memory (RSS), plan at 200 pods", f"{plan_peak_memory_mb(200):.0f} MB", ""))
    rows.extend(volume_boot_rows())  # network volume as a weights cache (bench/volume_boot.py)
    width = max(len(r[0]) for r in rows)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"{'measure'.ljust(width)} | result | goal")
    print(f"{'-' * width}-|--------|-----")
    for name, result, goal in rows:
        print(f"{name.ljust(width)} | {result} | {goal}")


if __name__ == "__main__":
    main()
