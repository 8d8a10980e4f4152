"""The realistic simulator mode fails the way RunPod and the serving images do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import CapacityError, NotFoundError, RateLimitWaitTooLongError
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import Settings, World
from tests.fakes.clock import FakeClock

BOOT = 3.0  # provisioning 1 s, starting 2 s, ports 1 s later
GOOD_VLLM = ("--model Qwen/Qwen2.5-7B-Instruct-AWQ --served-model-name q --quantization awq "
             "--max-model-len 8192 "
             "--host 0.0.0.0 --port 8000")
BODY = {"name": "demo-dev-api", "image": "vllm/vllm-openai:v0.6.3",
        "gpu": {"id": "NVIDIA L4", "count": 1}, "ports": ["8000/http", "22/tcp"],
        "env": {"A": "1"}, "args": GOOD_VLLM, "startSsh": True}


@pytest.fixture
def real_world(clock: FakeClock) -> World:
    return World(clock=clock, settings=Settings.realistic(BOOT))


@pytest.fixture
def real_sim(real_world: World) -> Iterator[Simulator]:
    with Simulator(real_world, log_stream_seconds=0.5) as simulator:
        yield simulator


@pytest.fixture
def rp(real_sim: Simulator) -> RunPodClient:
    return RunPodClient(real_sim.url, "k", max_retry_seconds=5, backoff_base=0.01)


def health(sim: Simulator, pod_id: str, port: int = 8000) -> int:
    return requests.get(sim.proxy_url.format(pod_id=pod_id, port=port) + "/health",
                        timeout=5).status_code


def test_realistic_new_pod_404s_and_is_unlisted_for_a_while(rp: RunPodClient,
                                                            clock: FakeClock) -> None:
    pod = rp.create_pod(BODY)
    with pytest.raises(NotFoundError):
        rp.get_pod(pod["id"])
    assert rp.list_pods() == []
    clock.advance(2.5)
    assert rp.get_pod(pod["id"])["id"] == pod["id"]
    assert [p["id"] for p in rp.list_pods()] == [pod["id"]]


def test_realistic_start_reads_stale_exited_then_boots(rp: RunPodClient,
                                                       clock: FakeClock) -> None:
    pod = rp.create_pod(BODY)
    clock.advance(10)
    rp.pod_action(pod["id"], "stop")
    started = rp.pod_action(pod["id"], "start")
    assert started is not None and started["status"] == "EXITED"
    clock.advance(1)
    assert rp.get_pod(pod["id"])["status"] == "EXITED"
    clock.advance(1.5)
    assert rp.get_pod(pod["id"])["status"] == "STARTING"


def test_realistic_patch_reads_stale_running_then_restarts(real_sim: Simulator,
                                                           rp: RunPodClient,
                                                           clock: FakeClock) -> None:
    pod = rp.create_pod(BODY)
    clock.advance(60)
    before = rp.get_pod(pod["id"])["runtime"]["uptime"]
    patched = rp.update_pod(pod["id"], {"env": {"A": "2"}})
    assert patched["status"] == "RUNNING" and patched["runtime"]["uptime"] >= before
    # The old container still answers until the restart shows.
    assert health(real_sim, pod["id"]) == 200
    clock.advance(2.5)
    assert rp.get_pod(pod["id"])["status"] in ("PROVISIONING", "STARTING")
    assert health(real_sim, pod["id"]) == 502
    clock.advance(5)
    after = rp.get_pod(pod["id"])
    assert after["status"] == "RUNNING" and after["runtime"]["uptime"] < before


def test_realistic_env_gains_injected_keys_only_when_asked(rp: RunPodClient,
                                                           clock: FakeClock) -> None:
    ssh = rp.create_pod(BODY)
    plain = rp.create_pod({**BODY, "startSsh": False, "startJupyter": True})
    own = rp.create_pod({**BODY, "env": {"PUBLIC_KEY": "mine"}})
    clock.advance(10)
    assert rp.get_pod(ssh["id"])["env"]["PUBLIC_KEY"].startswith("ssh-ed25519 ")
    env = rp.get_pod(plain["id"])["env"]
    assert "PUBLIC_KEY" not in env and len(env["JUPYTER_PASSWORD"]) == 16
    assert rp.get_pod(own["id"])["env"]["PUBLIC_KEY"] == "mine"


def test_realistic_platform_port_is_mapped(rp: RunPodClient, clock: FakeClock) -> None:
    pod = rp.create_pod(BODY)
    clock.advance(10)
    ports = {(p["private"], p["type"]) for p in rp.get_pod(pod["id"])["runtime"]["ports"]}
    assert ports == {(8000, "http"), (22, "tcp"), (19123, "http")}


def test_realistic_capacity_wordings_vary_and_all_mean_next_candidate(
        rp: RunPodClient, real_world: World) -> None:
    real_world.capacity = {k: 0 for k in real_world.capacity}
    details = set()
    for gpu_id, *_ in catalog.GPUS:
        with pytest.raises(CapacityError) as caught:
            rp.create_pod({**BODY, "gpu": {"id": gpu_id, "count": 1}})
        details.add(caught.value.detail)
    assert len(details) >= 3


@pytest.mark.parametrize("window, retry_after", [("hour", 3000), ("day", 80000)])
def test_realistic_long_windows_have_long_retry_after(real_sim: Simulator, real_world: World,
                                                      window: str, retry_after: int) -> None:
    setattr(real_world.settings, f"rate_per_{window}", 1)
    rp = RunPodClient(real_sim.url, "k")
    rp.list_pods()
    with pytest.raises(RateLimitWaitTooLongError) as caught:
        rp.list_pods()
    assert caught.value.window == window
    assert caught.value.wait is not None and caught.value.wait > retry_after


@pytest.mark.parametrize("args, gpus, error", [
    ("--port 8000", 1, "required: model_tag"),
    (GOOD_VLLM.replace("-AWQ", ""), 1, "Cannot find the config file for awq"),
    (GOOD_VLLM + " --tensor-parallel-size 2", 1, "tensor_parallel_size (2)"),
])
def test_realistic_bad_flags_crash_loop_with_the_error_in_logs(
        real_sim: Simulator, rp: RunPodClient, clock: FakeClock, args: str, gpus: int,
        error: str) -> None:
    pod = rp.create_pod({**BODY, "args": args, "gpu": {"id": "NVIDIA L4", "count": gpus}})
    clock.advance(BOOT + 0.5)
    assert rp.get_pod(pod["id"])["status"] == "RUNNING"
    assert health(real_sim, pod["id"]) == 502
    clock.advance(2)  # the server exits
    exited = rp.get_pod(pod["id"])
    assert exited["status"] == "EXITED" and exited["runtime"] is None
    clock.advance(3)  # RunPod restarts the container, and it fails again
    assert rp.get_pod(pod["id"])["status"] == "RUNNING"
    lines = [e["line"] for e in rp.stream_logs(pod["id"], idle_seconds=0.3)]
    assert sum(error in line for line in lines) == 1
    assert "Container exited with code 1; restarting" in lines


def test_realistic_good_flags_serve_health_on_their_port(real_sim: Simulator, rp: RunPodClient,
                                                         clock: FakeClock) -> None:
    pod = rp.create_pod({**BODY, "ports": ["8000/http", "9000/http"]})
    clock.advance(BOOT + 1.5)
    assert health(real_sim, pod["id"]) == 200
    assert health(real_sim, pod["id"], 9000) == 502  # nothing listens there
    clock.advance(600)
    assert rp.get_pod(pod["id"])["status"] == "RUNNING"


def test_realistic_is_off_in_the_fast_mode(client: RunPodClient, clock: FakeClock) -> None:
    pod = client.create_pod({**BODY, "args": "--port 8000"})
    assert client.get_pod(pod["id"])["id"] == pod["id"]
    clock.advance(60)
    seen = client.get_pod(pod["id"])
    assert seen["status"] == "RUNNING" and "PUBLIC_KEY" not in seen["env"]
    assert {p["private"] for p in seen["runtime"]["ports"]} == {8000, 22}
