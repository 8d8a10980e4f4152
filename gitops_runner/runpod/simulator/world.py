"""The simulated RunPod account: pods, their lifecycle, capacity and faults.

Every endpoint method returns (HTTP status, body) the way the v2 API would; how a
pod looks from outside is computed by `view` from timestamps and the clock.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from gitops_runner.runpod.simulator import (
    catalog,
    network_volumes,
    power,
    rates,
    references,
    view,
)
from gitops_runner.runpod.simulator.model import (
    ACTIONS,
    CAPACITY_DETAIL,
    CAPACITY_WORDINGS,
    Fault,
    Response,
    Settings,
    SimPod,
    iso,
    problem,
)
from gitops_runner.runpod.simulator.serverless import Serverless
from gitops_runner.runpod.simulator.spec import runpod_errors

# Kept importable from here: the sandbox wiring and tests use these names.
__all__ = ["CAPACITY_DETAIL", "Fault", "Settings", "SimPod", "World", "iso", "problem"]
# The key RunPod would inject as PUBLIC_KEY: the account's registered SSH keys.
SANDBOX_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGitopsRunnerSandboxKey sandbox@runpod"


class World:
    def __init__(self, clock: Callable[[], float] = time.time,
                 settings: Settings | None = None) -> None:
        self.clock = clock
        self.settings = settings or Settings()
        self.pods: dict[str, SimPod] = {}
        self.volume_cache: dict[str, list[str]] = {}  # volume id -> model repos on it
        self.capacity: dict[str, int] = catalog.default_capacity()
        self.faults: list[Fault] = []
        self.rate_windows: dict[str, list[float]] = {}
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []
        # Network volumes by id, as the v2 spec's NetworkVolume (id, name, size, dataCenter,
        # type); each pins its pods to its data center (network_volumes.py, references.py).
        self.network_volumes: dict[str, dict[str, Any]] = {}
        self.serverless = Serverless()  # templates and endpoints (serverless.py)

    # -- persistence (sandbox) --------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """For the sandbox file, serialized at once (it shares the pods' lists and dicts;
        the sandbox writes it after every request, so it is kept cheap): stock only where
        it differs from the default, which load_dict fills back in."""
        default = catalog.default_stock()
        capacity = {k: v for k, v in self.capacity.items() if default.get(k) != v}
        return {"pods": [dict(vars(p)) for p in self.pods.values()], "capacity": capacity,
                "network_volumes": self.network_volumes, "volume_cache": self.volume_cache,
                "serverless": self.serverless.to_dict(),
                # Faults set by `gitops-runner sandbox rate-limit` outlive the run that set them.
                "faults": [dict(vars(f)) for f in self.faults if f.times > 0]}

    def load_dict(self, data: dict[str, Any]) -> None:
        self.pods = {}
        for raw in data.get("pods", []):
            raw["events"] = [tuple(e) for e in raw.get("events", [])]
            pod = SimPod(**raw)
            self.pods[pod.id] = pod
        # A sandbox file from before a GPU type was added has no stock for it: default.
        self.capacity = {**catalog.default_capacity(), **data.get("capacity", {})}
        self.network_volumes = dict(data.get("network_volumes", {}))
        self.volume_cache = {k: list(v) for k, v in data.get("volume_cache", {}).items()}
        self.serverless.load_dict(data.get("serverless", {}))
        if "faults" in data:  # a file from before faults were kept leaves them alone
            self.faults = [Fault(**f) for f in data["faults"]]

    # -- lifecycle (see view.py) ------------------------------------------------
    def status(self, pod: SimPod) -> str:
        return view.status(self, pod)

    def running_since(self, pod: SimPod) -> float:
        return view.running_since(self, pod)

    def render(self, pod: SimPod) -> dict[str, Any]:
        return view.render(self, pod)

    def _visible(self, pod: SimPod) -> bool:
        # RunPod's reads lag its writes: a new pod 404s for a short while.
        return self.clock() >= pod.created_at + self.settings.read_lag_seconds

    def pod_cost(self, pod: SimPod) -> float:
        return round((catalog.price(pod.gpu_id, pod.cloud) or 0.0) * pod.gpu_count, 4)

    def _live(self, pod_id: str) -> SimPod | None:
        pod = self.pods.get(pod_id)
        return None if pod is None or pod.terminated else pod

    def log(self, pod: SimPod, line: str, at: float | None = None) -> None:
        pod.events.append((self.clock() if at is None else at, line))

    # -- endpoints ------------------------------------------------------------
    def list_pods(self) -> Response:
        return 200, {"pods": [self.render(p) for p in self.pods.values()
                              if not p.terminated and self._visible(p)]}

    def get_pod(self, pod_id: str) -> Response:
        pod = self._live(pod_id)
        if pod is None or not self._visible(pod):
            return problem(404, "pod not found")
        return 200, self.render(pod)

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
        refused = references.create_refusal(self, body)
        if refused:
            return refused
        count = int(gpu.get("count", 1))
        cloud = body.get("cloud", "SECURE")
        # A network volume pins the pod to its data center (network_volumes.py).
        pinned, refused = network_volumes.pinned_data_center(
            self.network_volumes, body, self._capacity_detail(gpu["id"]))
        if refused is not None:
            return refused
        place = self._place(gpu["id"], count, cloud,
                            [pinned] if pinned else references.data_centers(self, body),
                            gpu.get("minCudaVersion"), gpu.get("allowedCudaVersions") or [])
        if place is None:
            return problem(400, self._capacity_detail(gpu["id"]))
        self.capacity[catalog.capacity_key(gpu["id"], place, cloud)] -= count
        now = self.clock()
        pod = SimPod(
            id=uuid.uuid4().hex[:14], name=body["name"], image=body["image"], gpu_id=gpu["id"],
            gpu_count=count, cloud=cloud, data_center=place, created_at=now, boot_at=now,
            args=body.get("args", ""), disk=body.get("disk", 20), env=dict(body.get("env", {})),
            ports=list(body.get("ports", [])), mounts=mounts, registry=body.get("registry"),
            healthy_after=self.settings.healthy_after, start_ssh=bool(body.get("startSsh")),
        )
        if pod.healthy_after is not None:  # weights download first (network_volumes.py)
            pod.healthy_after += network_volumes.download_seconds(
                self.settings.weights_gbps, body, self.volume_cache)
        if self.settings.inject_env:
            self._inject_env(pod, body)
        self.log(pod, f"Pulling image {pod.image}")
        self.pods[pod.id] = pod
        return 201, self.render(pod)

    def _inject_env(self, pod: SimPod, body: dict[str, Any]) -> None:
        """startSsh/startJupyter add env keys unless the request set them (v2 spec)."""
        if body.get("startSsh"):
            pod.env.setdefault("PUBLIC_KEY", SANDBOX_PUBLIC_KEY)
        if body.get("startJupyter"):
            pod.env.setdefault("JUPYTER_PASSWORD",
                               hashlib.sha256(pod.id.encode()).hexdigest()[:16])

    def _capacity_detail(self, gpu_id: str) -> str:
        if not self.settings.vary_capacity_wording:
            return CAPACITY_DETAIL
        return CAPACITY_WORDINGS[sum(map(ord, gpu_id)) % len(CAPACITY_WORDINGS)]

    def _place(self, gpu_id: str, count: int, cloud: str, dcs: list[str],
               min_cuda: str | None, allowed_cuda: list[str]) -> str | None:
        # The first data center in the catalog's order with enough free GPUs: the
        # order the catalog lists them in, so "likely EU-RO-1" is where a pod lands.
        for dc, cuda in catalog.DATA_CENTERS:
            if dcs and dc not in dcs:
                continue
            if not catalog.cuda_allowed(cuda, min_cuda, allowed_cuda):
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
        if pod.locked and not pod.stopped and any(
                key in body and body[key] != getattr(pod, key)
                for key in ("image", "args", "disk", "ports", "env", "mounts")):
            return power.locked(pod, "restart") or problem(409, "pod is locked")  # a reset
        mounts = body.get("mounts")
        if mounts:
            failure = references.mount_patch_error(pod, mounts)
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

    def _boot(self, pod: SimPod, line: str) -> None:
        if self.settings.stale_seconds:
            # Reads keep showing the old container (or EXITED) for a while.
            pod.stale_until = self.clock() + self.settings.stale_seconds
            pod.stale_boot_at, pod.stale_stopped = pod.boot_at, pod.stopped
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
        if not pod.stopped and not pod.zero_gpu:  # a stopped pod gave its GPUs back already
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
        refused = power.locked(pod, action)
        if refused:
            return refused
        if action == "terminate":
            self._terminate(pod)
            return 204, None
        if action == "stop":
            power.stop(self, pod)
        elif action == "start":
            failed = power.start(self, pod)
            if failed:
                return failed
            self._boot(pod, "Container starting")
            pod.stopped = False
        elif action == "restart":
            self._boot(pod, "Container restarting")
        return 200, self.render(pod)

    def tenant_takes_gpu(self, pod_id: str) -> None:
        """Another user rents the GPUs a stopped pod gave back (tests, the sandbox)."""
        power.tenant_takes_gpu(self, self.pods[pod_id])

    def gpu_catalog(self, query: dict[str, str]) -> Response:
        """`GET /v2/catalog/gpus`: availability from the stock creates consume (spec
        `listGpuTypes`: include and product need each other; count, cloud and the CUDA
        filters are valid only with include; cudaVersions and minCudaVersion exclude
        each other)."""
        include = query.get("include")
        if include is not None and include != "AVAILABILITY":
            return problem(422, f"unknown include value {include!r}")
        if (include is None) != ("product" not in query):
            return problem(400, "include=AVAILABILITY and product must be sent together")
        scoped = [k for k in ("count", "cloud", "cudaVersions", "minCudaVersion") if k in query]
        if include is None and scoped:
            return problem(400, f"{scoped[0]} is valid only with include=AVAILABILITY")
        if "cudaVersions" in query and "minCudaVersion" in query:
            return problem(400, "cudaVersions and minCudaVersion are mutually exclusive")
        if query.get("cloud", "SECURE") not in ("SECURE", "COMMUNITY") or \
                not query.get("count", "1").isdigit() or int(query.get("count", "1")) < 1:
            return problem(422, "cloud must be SECURE or COMMUNITY and count an integer >= 1")
        stock = self.capacity if include else None
        return 200, {"gpus": catalog.gpu_types(stock, query)}

    def log_lines(self, pod_id: str) -> list[tuple[float, str]] | None:
        """The pod's log so far: lifecycle events plus the service's own lines."""
        pod = self.pods.get(pod_id)
        return None if pod is None else view.log_lines(self, pod)

    def proxy_status(self, pod_id: str, port: int) -> int:
        pod = self._live(pod_id)
        return 404 if pod is None else view.proxy_status(self, pod, port)

    def proxy_answer(self, pod_id: str, port: int, path: str, auth: str) -> Response:
        pod = self._live(pod_id)
        if pod is None:
            return 404, {"detail": "not found"}
        return view.proxy_answer(self, pod, port, path, auth)

    # -- rate limits and faults -------------------------------------------
    def rate_check(self, key: str) -> rates.RateVerdict:
        """Record one request against the key's minute, hour and day windows."""
        quotas = [("minute", self.settings.rate_per_minute, 60),
                  ("hour", self.settings.rate_per_hour, 3600),
                  ("day", self.settings.rate_per_day, 86400)]
        verdict, self.rate_windows[key] = rates.check(self.rate_windows.get(key, []), quotas,
                                                      self.clock())
        return verdict

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            route_method, _, route = fault.route.partition(" ")
            matches = path.startswith(route[:-1]) if route.endswith("*") else path == route
            if route_method in (method, "*") and matches and fault.times > 0:
                fault.times -= 1
                return fault
        return None

