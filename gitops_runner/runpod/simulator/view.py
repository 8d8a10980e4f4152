"""What a simulated pod looks like from outside: status, the v2 Pod body, its logs
and its HTTP service. Everything is derived from timestamps and the clock, so a
world loaded from disk by another process moves on as time passes."""

from __future__ import annotations

import random
import shlex
from typing import Any

from gitops_runner.runpod.simulator import catalog, hosts
from gitops_runner.runpod.simulator.images import ServerCheck, check_server
from gitops_runner.runpod.simulator.model import ACTIONS, PLATFORM_PORT, SimPod, WorldReads, iso

MAX_CRASH_LINES = 20


def _effective(world: WorldReads, pod: SimPod) -> tuple[float, bool]:
    """(boot_at, stopped) as reads show them: the previous boot while still stale."""
    if world.clock() < pod.stale_until:
        return pod.stale_boot_at, pod.stale_stopped
    return pod.boot_at, pod.stopped


def running_since(world: WorldReads, pod: SimPod, boot_at: float | None = None) -> float:
    s = world.settings
    return (pod.boot_at if boot_at is None else boot_at) + s.provisioning_seconds + \
        s.starting_seconds


def server(world: WorldReads, pod: SimPod) -> ServerCheck:
    if not world.settings.check_images:
        return ServerCheck(None)
    if hosts.refusal(world, pod):
        return ServerCheck(None)  # the container never runs: no server to check
    return check_server(pod.image, pod.args, pod.env, hosts.machine(world, pod))


def _crash_phase(world: WorldReads, pod: SimPod, since: float) -> tuple[bool, float]:
    """A server that rejects its flags exits, and RunPod restarts the container:
    (up now, seconds into the current run)."""
    s = world.settings
    cycle = s.crash_seconds + s.restart_delay_seconds
    phase = (world.clock() - since) % cycle
    return phase < s.crash_seconds, phase


def status(world: WorldReads, pod: SimPod) -> str:
    if pod.terminated:
        return "TERMINATED"
    boot_at, stopped = _effective(world, pod)
    if stopped:
        return "EXITED"
    s = world.settings
    elapsed = world.clock() - boot_at
    if elapsed < s.provisioning_seconds:
        return "PROVISIONING"
    if pod.error or "bad" in pod.image.split("/")[-1]:
        return "ERROR"
    if pod.stuck or elapsed < s.provisioning_seconds + s.starting_seconds:
        return "STARTING"
    if server(world, pod).error and not _crash_phase(world, pod,
                                                     running_since(world, pod, boot_at))[0]:
        return "EXITED"
    return "RUNNING"


def _public_port(pod: SimPod, private: int) -> int:
    # New mappings on every boot, as RunPod reassigns ports after a restart.
    rng = random.Random(f"{pod.id}:{pod.boots}:{private}")
    return rng.randint(10000, 60000)


def _uptime(world: WorldReads, pod: SimPod, since: float) -> int:
    if server(world, pod).error:
        return int(_crash_phase(world, pod, since)[1])
    return int(world.clock() - since)


def render(world: WorldReads, pod: SimPod) -> dict[str, Any]:
    state = status(world, pod)
    boot_at, _ = _effective(world, pod)
    since = running_since(world, pod, boot_at)
    # A host that refuses the container still reads RUNNING and bills, with no runtime.
    running = state == "RUNNING" and world.clock() >= since + world.settings.ports_after \
        and not hosts.refusal(world, pod)
    ip = f"203.0.113.{sum(map(ord, pod.id)) % 250 + 1}"
    ports_rt = []
    for spec in pod.ports:
        number, proto = spec.split("/")
        ports_rt.append({"private": int(number), "public": _public_port(pod, int(number)),
                         "type": proto, "ip": ip if proto == "tcp" else "100.65.0.2"})
    if world.settings.platform_port:
        ports_rt.append({"private": PLATFORM_PORT, "public": PLATFORM_PORT, "type": "http",
                         "ip": "100.65.0.2"})
    ssh_direct = None
    if running and "22/tcp" in pod.ports:
        port = _public_port(pod, 22)
        ssh_direct = {"host": ip, "port": port, "username": "root",
                      "command": f"ssh root@{ip} -p {port}"}
    assigned = state != "TERMINATED"
    gpus = 0 if pod.zero_gpu else pod.gpu_count
    return {
        "id": pod.id, "name": pod.name, "status": state, "actions": ACTIONS[state],
        "image": pod.image, "args": pod.args, "disk": pod.disk, "mounts": pod.mounts,
        "ports": list(pod.ports), "env": dict(pod.env), "registry": pod.registry,
        "gpu": {"id": pod.gpu_id, "count": 0 if pod.zero_gpu else pod.gpu_count},
        "cloud": pod.cloud,
        "dataCenterId": pod.data_center if assigned else None,
        "cudaVersion": catalog.host_cuda(pod.data_center),
        "ssh": {"proxy": {"host": "ssh.runpod.io", "port": 22,
                          "username": f"{pod.id}-64411eb2",
                          "command": f"ssh {pod.id}-64411eb2@ssh.runpod.io"} if assigned
                else None, "direct": ssh_direct},
        "template": None,
        "cost": 0.0 if state in ("EXITED", "TERMINATED") else world.pod_cost(pod),
        "locked": pod.locked,
        "runtime": {"uptime": _uptime(world, pod, since),
                    "gpus": [{"util": u, "memoryUtil": min(100, u)}
                             for u in (pod.gpu_util + [0] * pod.gpu_count)[:gpus]],
                    "cpu": {"util": 3}, "memory": {"util": 10},
                    "ports": ports_rt} if running else None,
        "createdAt": iso(pod.created_at),
        "startedAt": iso(since) if state == "RUNNING" else None,
        "globalNetworking": {"enabled": False},
    }


def log_lines(world: WorldReads, pod: SimPod) -> list[tuple[float, str]]:
    """The pod's log so far: lifecycle events plus the service's own lines."""
    lines = list(pod.events)
    state = status(world, pod)
    start = pod.boot_at + world.settings.provisioning_seconds
    since = running_since(world, pod)
    if state in ("STARTING", "RUNNING") or (state == "EXITED" and not pod.stopped):
        lines.append((start, f"Image {pod.image} pulled; starting container"))
    refused = hosts.refusal(world, pod)
    if refused and state == "RUNNING":
        lines.append((start + 0.001, refused))
    check = server(world, pod)
    if check.error and not pod.stopped and world.clock() >= since:
        s = world.settings
        cycle = s.crash_seconds + s.restart_delay_seconds
        crashes = int((world.clock() - since) // cycle) + 1
        for i in range(max(0, crashes - MAX_CRASH_LINES), crashes):
            at = since + i * cycle + s.crash_seconds
            if at <= world.clock():
                lines.append((at, check.error))
                lines.append((at + 0.001, "Container exited with code 1; restarting"))
    elif state == "RUNNING":
        lines.append((since, f"Serving on ports {', '.join(pod.ports)}"))
    if state == "ERROR":
        lines.append((start, "Error: container exited with code 1"))
    return sorted(lines)


def proxy_status(world: WorldReads, pod: SimPod, port: int) -> int:
    """What RUNPOD_PROXY_URL answers for the pod's `port`: 200 once the server is up."""
    if f"{port}/http" not in pod.ports:
        return 404
    if status(world, pod) != "RUNNING" or pod.healthy_after is None or \
            hosts.refusal(world, pod):
        return 502
    check = server(world, pod)
    if check.engine is not None and (check.error or check.port != port):
        return 502  # crashed, or listening on another port than the one checked
    # While reads are stale after a PATCH, the old container still answers: a health
    # check then passes against it unless the client waits for the restart to show.
    boot_at, _ = _effective(world, pod)
    ready_at = running_since(world, pod, boot_at) + world.settings.ports_after + \
        pod.healthy_after
    return 502 if world.clock() < ready_at else 200


def served_name(pod: SimPod, engine: str) -> str:
    """What /v1/models lists: vLLM --served-model-name (else --model); TGI its model id."""
    argv = shlex.split(pod.args or "")
    names = ("--served-model-name", "--model") if engine == "vllm" else ("--model-id",)
    for name in names:
        if name in argv and argv.index(name) + 1 < len(argv):
            return argv[argv.index(name) + 1]
    if engine == "vllm" and argv and not argv[0].startswith("-"):
        return argv[0]
    return pod.env.get("MODEL_ID", "bigscience/bloom-560m")


def proxy_answer(world: WorldReads, pod: SimPod, port: int, path: str,
                 auth: str) -> tuple[int, dict[str, Any]]:
    """The pod's HTTP answer through the proxy. Known servers protect their /v1 routes with
    their API key (vLLM VLLM_API_KEY or --api-key; TGI API_KEY) but not /health (vLLM
    api_server.py: the key guards paths under /v1; RUNPOD.md §8c)."""
    status_code = proxy_status(world, pod, port)
    if status_code != 200:
        return status_code, {"detail": "bad gateway"}
    check = server(world, pod)
    if check.engine is None or not path.startswith("/v1/"):
        return 200, {"status": "ok"}
    key = pod.env.get("VLLM_API_KEY" if check.engine == "vllm" else "API_KEY")
    if key and auth != f"Bearer {key}":
        return 401, {"error": "Unauthorized"}
    if path.rstrip("/") == "/v1/models":
        return 200, {"object": "list", "data": [{"id": served_name(pod, check.engine),
                                                 "object": "model"}]}
    return 404, {"detail": "Not Found"}


def omit_first_listed(payload: Any) -> Any:
    """A list answer (pods, network volumes) without its first item (model.LIST_OMITS)."""
    for key in ("pods", "networkVolumes"):
        if isinstance(payload, dict) and payload.get(key):
            return {**payload, key: payload[key][1:]}
    return payload


def misreport_mounts(payload: Any, kind: str) -> Any:
    """The answer with its first pod that has a mount misreporting it (model.MISREPORTS)."""
    pods = payload.get("pods", [payload]) if isinstance(payload, dict) else []
    for pod in pods:
        mounts = pod.get("mounts") or {}
        if not mounts:
            continue
        entry = mounts.get("persistent") or (mounts.get("network") or [{}])[0]
        path = entry.get("path")
        if kind == "mounts_empty":
            pod["mounts"] = {}
        elif kind == "mounts_no_id":
            pod["mounts"] = {"network": [{"path": path}]}
        else:
            pod["mounts"] = {"persistent": {"path": path}}
        break
    return payload
