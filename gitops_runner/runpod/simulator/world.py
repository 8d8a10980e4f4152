"""The simulated RunPod account: pods, their lifecycle, capacity and faults.

Status is derived from timestamps and the clock, never from a background
thread, so a world saved to disk and loaded by another process (the sandbox)
moves on as time passes. Every method returns (HTTP status, body) the way the
v2 API would.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.spec import runpod_errors

CAPACITY_DETAIL = ("There are no longer any instances available with the requested "
                   "specifications. Please refresh and try again.")
ACTIONS = {
    "PROVISIONING": ["stop", "terminate"],
    "STARTING": ["stop", "terminate"],
    "RUNNING": ["stop", "restart", "terminate"],
    "EXITED": ["start", "terminate"],
    "ERROR": ["start", "terminate"],
    "TERMINATED": [],
}
Response = tuple[int, Any]


def problem(status: int, detail: str, errors: list[str] | None = None) -> Response:
    titles = {400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
              403: "Forbidden", 404: "Not Found", 409: "Conflict",
              422: "Unprocessable Entity", 429: "Too Many Requests",
              500: "Internal Server Error", 503: "Service Unavailable"}
    body: dict[str, Any] = {"title": titles.get(status, "Error"), "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors
    return status, body


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class SimPod:
    id: str
    name: str
    image: str
    gpu_id: str
    gpu_count: int
    cloud: str
    data_center: str
    created_at: float
    boot_at: float  # when the current boot (create/start/restart) began
    args: str = ""
    disk: int = 20
    env: dict[str, str] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)
    mounts: dict[str, Any] = field(default_factory=dict)
    registry: str | None = None
    locked: bool = False
    stopped: bool = False
    terminated: bool = False
    error: bool = False
    stuck: bool = False  # fault: never leaves STARTING
    boots: int = 1
    # Seconds after RUNNING before the pod's HTTP service answers 2xx; None = never.
    healthy_after: float | None = 0.0
    events: list[tuple[float, str]] = field(default_factory=list)
    # Per-GPU utilisation in percent, as runtime.gpus[].util reports it (spec
    # PodGpuUtilization); GPUs without an entry report 0. Set by tests and the sandbox.
    gpu_util: list[int] = field(default_factory=list)


@dataclass
class Fault:
    """One injected failure for `times` requests to `route`: "POST /v2/pods" or "GET /v2/pods/*"."""

    route: str
    kind: str  # "5xx" | "429" | "create_then_500" | "latency" | "capacity" | "402"
    times: int = 1
    seconds: float = 0.0
    status: int = 500


@dataclass
class Settings:
    provisioning_seconds: float = 2.0
    starting_seconds: float = 5.0
    restart_on_patch: bool = True
    rate_per_minute: int = 600
    rate_per_hour: int = 30000
    rate_per_day: int = 500000
    api_key: str | None = None  # None = any non-empty bearer token is accepted
    read_only_keys: list[str] = field(default_factory=list)
    healthy_after: float = 0.0
    latency_seconds: float = 0.0
    # RUNNING is reported this long before runtime and port mappings appear (RUNPOD.md §8.4).
    ports_after: float = 0.0


class World:
    def __init__(self, clock: Callable[[], float] = time.time,
                 settings: Settings | None = None) -> None:
        self.clock = clock
        self.settings = settings or Settings()
        self.pods: dict[str, SimPod] = {}
        self.capacity: dict[str, int] = catalog.default_capacity()
        self.faults: list[Fault] = []
        self.rate_windows: dict[str, list[float]] = {}
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []

    # -- persistence (sandbox) --------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"pods": [asdict(p) for p in self.pods.values()], "capacity": self.capacity}

    def load_dict(self, data: dict[str, Any]) -> None:
        self.pods = {}
        for raw in data.get("pods", []):
            raw["events"] = [tuple(e) for e in raw.get("events", [])]
            pod = SimPod(**raw)
            self.pods[pod.id] = pod
        self.capacity = dict(data.get("capacity", self.capacity))

    # -- lifecycle ----------------------------------------------------------
    def status(self, pod: SimPod) -> str:
        if pod.terminated:
            return "TERMINATED"
        if pod.stopped:
            return "EXITED"
        elapsed = self.clock() - pod.boot_at
        if elapsed < self.settings.provisioning_seconds:
            return "PROVISIONING"
        if pod.error or "bad" in pod.image.split("/")[-1]:
            return "ERROR"
        if pod.stuck or elapsed < self.settings.provisioning_seconds + self.settings.starting_seconds:
            return "STARTING"
        return "RUNNING"

    def running_since(self, pod: SimPod) -> float:
        return pod.boot_at + self.settings.provisioning_seconds + self.settings.starting_seconds

    def _public_port(self, pod: SimPod, private: int) -> int:
        # New mappings on every boot, as RunPod reassigns ports after a restart.
        rng = random.Random(f"{pod.id}:{pod.boots}:{private}")
        return rng.randint(10000, 60000)

    def render(self, pod: SimPod) -> dict[str, Any]:
        status = self.status(pod)
        running = status == "RUNNING" and \
            self.clock() >= self.running_since(pod) + self.settings.ports_after
        ip = f"203.0.113.{sum(map(ord, pod.id)) % 250 + 1}"
        ports_rt = []
        for spec in pod.ports:
            number, proto = spec.split("/")
            ports_rt.append({"private": int(number), "public": self._public_port(pod, int(number)),
                             "type": proto, "ip": ip if proto == "tcp" else "100.65.0.2"})
        ssh_direct = None
        if running and "22/tcp" in pod.ports:
            port = self._public_port(pod, 22)
            ssh_direct = {"host": ip, "port": port, "username": "root",
                          "command": f"ssh root@{ip} -p {port}"}
        assigned = status != "TERMINATED"
        body: dict[str, Any] = {
            "id": pod.id, "name": pod.name, "status": status, "actions": ACTIONS[status],
            "image": pod.image, "args": pod.args, "disk": pod.disk, "mounts": pod.mounts,
            "ports": list(pod.ports), "env": dict(pod.env), "registry": pod.registry,
            "gpu": {"id": pod.gpu_id, "count": pod.gpu_count}, "cloud": pod.cloud,
            "dataCenterId": pod.data_center if assigned else None,
            "cudaVersion": catalog.host_cuda(pod.data_center),
            "ssh": {"proxy": {"host": "ssh.runpod.io", "port": 22,
                              "username": f"{pod.id}-64411eb2",
                              "command": f"ssh {pod.id}-64411eb2@ssh.runpod.io"} if assigned
                    else None, "direct": ssh_direct},
            "template": None,
            "cost": 0.0 if status in ("EXITED", "TERMINATED") else self.pod_cost(pod),
            "locked": pod.locked,
            "runtime": {"uptime": int(self.clock() - self.running_since(pod)),
                        "gpus": [{"util": u, "memoryUtil": min(100, u)}
                                 for u in (pod.gpu_util + [0] * pod.gpu_count)[:pod.gpu_count]],
                        "cpu": {"util": 3}, "memory": {"util": 10},
                        "ports": ports_rt} if running else None,
            "createdAt": iso(pod.created_at),
            "startedAt": iso(self.running_since(pod)) if status == "RUNNING" else None,
            "globalNetworking": {"enabled": False},
        }
        return body

    def pod_cost(self, pod: SimPod) -> float:
        return round((catalog.price(pod.gpu_id, pod.cloud) or 0.0) * pod.gpu_count, 4)

    def _live(self, pod_id: str) -> SimPod | None:
        pod = self.pods.get(pod_id)
        return None if pod is None or pod.terminated else pod

    def log(self, pod: SimPod, line: str, at: float | None = None) -> None:
        pod.events.append((self.clock() if at is None else at, line))

    # -- endpoints ------------------------------------------------------------
    def list_pods(self) -> Response:
        return 200, {"pods": [self.render(p) for p in self.pods.values() if not p.terminated]}

    def get_pod(self, pod_id: str) -> Response:
        pod = self._live(pod_id)
        return (200, self.render(pod)) if pod else problem(404, "pod not found")

    def create_pod(self, body: Any) -> Response:
        errors = runpod_errors("CreatePodRequest", body)
        if errors:
            return problem(422, "Request validation failed.", errors)
        if ("gpu" in body) == ("cpu" in body):
            return problem(400, "exactly one of gpu or cpu must be set")
        if "cpu" in body:
            return problem(400, "CPU pods are not offered by this simulator")
        gpu = body["gpu"]
        if gpu.get("allowedCudaVersions") and gpu.get("minCudaVersion"):
            return problem(400, "allowedCudaVersions and minCudaVersion are mutually exclusive")
        mounts = body.get("mounts") or {}
        if "persistent" in mounts and "network" in mounts:
            return problem(400, "mounts.persistent and mounts.network are mutually exclusive")
        if mounts.get("network") == []:
            return problem(400, "mounts.network must not be empty")
        count = int(gpu.get("count", 1))
        cloud = body.get("cloud", "SECURE")
        place = self._place(gpu["id"], count, cloud, body.get("dataCenterIds") or [],
                            gpu.get("minCudaVersion"), gpu.get("allowedCudaVersions") or [])
        if place is None:
            return problem(400, CAPACITY_DETAIL)
        self.capacity[catalog.capacity_key(gpu["id"], place, cloud)] -= count
        now = self.clock()
        pod = SimPod(
            id=uuid.uuid4().hex[:14], name=body["name"], image=body["image"], gpu_id=gpu["id"],
            gpu_count=count, cloud=cloud, data_center=place, created_at=now, boot_at=now,
            args=body.get("args", ""), disk=body.get("disk", 20), env=dict(body.get("env", {})),
            ports=list(body.get("ports", [])), mounts=mounts, registry=body.get("registry"),
            healthy_after=self.settings.healthy_after,
        )
        self.log(pod, f"Pulling image {pod.image}")
        self.pods[pod.id] = pod
        return 201, self.render(pod)

    def _place(self, gpu_id: str, count: int, cloud: str, dcs: list[str],
               min_cuda: str | None, allowed_cuda: list[str]) -> str | None:
        for dc, cuda in catalog.DATA_CENTERS:
            if dcs and dc not in dcs:
                continue
            if min_cuda and _version(cuda) < _version(min_cuda):
                continue
            if allowed_cuda and cuda not in allowed_cuda:
                continue
            if self.capacity.get(catalog.capacity_key(gpu_id, dc, cloud), 0) >= count:
                return dc
        return None

    def update_pod(self, pod_id: str, body: Any) -> Response:
        pod = self._live(pod_id)
        if pod is None:
            return problem(404, "pod not found")
        errors = runpod_errors("UpdatePodRequest", body)
        if errors:
            return problem(422, "Request validation failed.", errors)
        mounts = body.get("mounts")
        if mounts:
            failure = self._check_mount_patch(pod, mounts)
            if failure:
                return problem(400, failure)
        restart = False
        for key in ("image", "args", "disk", "ports", "env"):
            if key in body and body[key] != getattr(pod, key):
                setattr(pod, key, list(body[key]) if key == "ports" else body[key])
                restart = True
        if mounts:
            kind = "persistent" if "persistent" in mounts else "network"
            pod.mounts = {kind: mounts[kind]}
            restart = True
        for key in ("name", "registry", "locked"):
            if key in body:
                setattr(pod, key, body[key])
        if restart and self.settings.restart_on_patch and not pod.stopped:
            self._boot(pod, "Container restarting with new configuration")
        return 200, self.render(pod)

    @staticmethod
    def _check_mount_patch(pod: SimPod, mounts: dict[str, Any]) -> str | None:
        if "persistent" in mounts and "network" in mounts:
            return "mounts.persistent and mounts.network are mutually exclusive"
        if mounts.get("network") == []:
            return "mounts.network must not be empty"
        kind = "persistent" if "persistent" in mounts else "network"
        if kind not in pod.mounts:
            return f"cannot add a {kind} mount to a pod created without one"
        if kind == "network" and mounts["network"][0]["volumeId"] != \
                pod.mounts["network"][0]["volumeId"]:
            return "the volumeId of a network mount cannot change"
        return None

    def _boot(self, pod: SimPod, line: str) -> None:
        pod.boot_at = self.clock()
        pod.boots += 1
        pod.error = False
        self.log(pod, line)

    def delete_pod(self, pod_id: str) -> Response:
        pod = self._live(pod_id)
        if pod is None:
            return problem(404, "pod not found")
        self._terminate(pod)
        return 204, None

    def _terminate(self, pod: SimPod) -> None:
        pod.terminated = True
        key = catalog.capacity_key(pod.gpu_id, pod.data_center, pod.cloud)
        self.capacity[key] = self.capacity.get(key, 0) + pod.gpu_count
        self.log(pod, "Pod terminated")

    def pod_action(self, pod_id: str, body: Any) -> Response:
        pod = self._live(pod_id)
        if pod is None:
            return problem(404, "pod not found")
        errors = runpod_errors("PodActionRequest", body)
        if errors:
            return problem(422, "Request validation failed.", errors)
        action = body["action"]
        status = self.status(pod)
        if action not in ACTIONS[status]:
            return problem(409, f"cannot {action} a pod in status {status}")
        if action == "terminate":
            self._terminate(pod)
            return 204, None
        if action == "stop":
            pod.stopped = True
            self.log(pod, "Container stopped")
        elif action == "start":
            pod.stopped = False
            self._boot(pod, "Container starting")
        elif action == "restart":
            self._boot(pod, "Container restarting")
        return 200, self.render(pod)

    def gpu_catalog(self, query: dict[str, str]) -> Response:
        if "include" in query and "product" not in query:
            return problem(400, "include requires product")
        return 200, {"gpus": catalog.gpu_types()}

    def log_lines(self, pod_id: str) -> list[tuple[float, str]] | None:
        """The pod's log so far: lifecycle events plus the service's own lines."""
        pod = self.pods.get(pod_id)
        if pod is None:
            return None
        lines = list(pod.events)
        status = self.status(pod)
        start = pod.boot_at + self.settings.provisioning_seconds
        if status in ("STARTING", "RUNNING"):
            lines.append((start, f"Image {pod.image} pulled; starting container"))
        if status == "RUNNING":
            lines.append((self.running_since(pod), f"Serving on ports {', '.join(pod.ports)}"))
        if status == "ERROR":
            lines.append((start, "Error: container exited with code 1"))
        return sorted(lines)

    def proxy_status(self, pod_id: str, port: int) -> int:
        pod = self._live(pod_id)
        if pod is None or f"{port}/http" not in pod.ports:
            return 404
        if self.status(pod) != "RUNNING" or pod.healthy_after is None:
            return 502
        ready_at = self.running_since(pod) + self.settings.ports_after + pod.healthy_after
        if self.clock() < ready_at:
            return 502
        return 200

    # -- rate limits and faults -------------------------------------------
    def rate_check(self, key: str) -> tuple[bool, dict[str, str], float]:
        """Record one request; return (allowed, headers, retry_after)."""
        now = self.clock()
        stamps = [t for t in self.rate_windows.get(key, []) if now - t < 86400]
        windows = [("minute", self.settings.rate_per_minute, 60),
                   ("hour", self.settings.rate_per_hour, 3600),
                   ("day", self.settings.rate_per_day, 86400)]
        allowed = True
        retry_after = 0.0
        parts = []
        for name, quota, length in windows:
            inside = [t for t in stamps if now - t < length]
            remaining = quota - len(inside)
            reset = (inside[0] + length - now) if inside else float(length)
            if remaining <= 0:
                allowed = False
                retry_after = max(retry_after, reset)
            parts.append((name, quota, length, remaining, reset))
        if allowed:
            stamps.append(now)
        self.rate_windows[key] = stamps
        headers = {
            "RateLimit": ", ".join(f'"{n}";r={max(0, r - (1 if allowed else 0))};t={int(t) + 1}'
                                   for n, _, _, r, t in parts),
            "RateLimit-Policy": ", ".join(f'"{n}";q={q};w={w}' for n, q, w, _, _ in parts),
        }
        return allowed, headers, retry_after

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            route_method, _, route = fault.route.partition(" ")
            matches = path.startswith(route[:-1]) if route.endswith("*") else path == route
            if route_method == method and matches and fault.times > 0:
                fault.times -= 1
                return fault
        return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))
