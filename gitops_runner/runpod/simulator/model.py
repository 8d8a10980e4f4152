"""The simulated account's data: pods, faults, settings, and RunPod's answer shapes.

Two modes share one World. The fast deterministic mode (the default, for unit
tests) answers at once and exactly. `Settings.realistic()` (meant for the sandbox)
adds what RunPod and the serving images do to a client: reads that lag, stale
status, injected env, the platform port, varied capacity wordings, and serving
images that crash-loop on bad flags. docs/runpod-notes.md gives the source of each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

NO_FREE_GPU = "There are not enough free GPUs on the host machine to start this pod."
LOCKED_DETAIL = ("pod is locked: a locked pod cannot be stopped or reset; unlock it "
                 "(PATCH locked: false) first")  # wording uncertain (RUNPOD.md §8c)
CAPACITY_DETAIL = ("There are no longer any instances available with the requested "
                   "specifications. Please refresh and try again.")
# Realistic mode varies the wording: capacity 400s carry no machine-readable code
# (v2 spec, createPod), and RunPod's APIs have used all of these (RUNPOD.md §1.7);
# the last one is invented, to keep clients from matching on text.
CAPACITY_WORDINGS = (
    CAPACITY_DETAIL,
    "There are no instances currently available",
    "This machine does not have the resources to deploy your pod. Please try a different "
    "machine",
    "Placement failed: the selected GPU type is sold out in the requested data centers",
)
PLATFORM_PORT = 19123  # RunPod's own http port, seen in live runtime.ports (RUNPOD.md §8b)
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
    start_ssh: bool = False
    # Realistic mode: what reads show until `stale_until` (the previous boot's view).
    stale_until: float = 0.0
    stale_boot_at: float = 0.0
    stale_stopped: bool = False
    # A stopped pod gives its GPUs back (RUNPOD.md §4.2, §8c): when another tenant took
    # them, its start fails or comes back with zero GPUs.
    stopped_at: float | None = None
    host_taken: bool = False
    zero_gpu: bool = False  # started without its GPUs: gpu.count reads 0


# A read that misreports a pod's mounts (one pod of the answer): `mounts: {}`, a network
# mount without its volumeId, a persistent volume without its size. RunPod cannot remove
# a mount or change its kind (RUNPOD.md §1.3), yet list answers like these were seen
# (issue 22: "`mounts: {}` in one list answer"; CONTRACT §4 "mounts that cannot be right").
MISREPORTS = ("mounts_empty", "mounts_no_id", "mounts_no_size")
# A list answer that leaves out its first item: RunPod's reads are eventually consistent
# (RUNPOD.md §8b "Eventual consistency": a fresh pod can 404, reads lag writes), so one list
# answer is no proof an object is gone; only a 404 by id is.
LIST_OMITS = "list_omits"
# Faults that change a 200 answer rather than replace it.
REWRITES = ("create_then_500", LIST_OMITS, *MISREPORTS)


@dataclass
class Fault:
    """One injected failure for `times` requests to `route`: "POST /v2/pods", "GET /v2/pods/*"
    or "* /v2/*" (any method)."""

    route: str
    kind: str  # "5xx" | "429" | "latency" | "capacity" | "402" | REWRITES
    times: int = 1
    seconds: float = 0.0
    status: int = 500
    window: str = "minute"  # for "429": the window named in the answer


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
    # -- realistic mode (all off in the fast deterministic mode) --
    read_lag_seconds: float = 0.0  # GET 404s and the list omits a new pod this long
    stale_seconds: float = 0.0  # after start/restart/PATCH, reads show the old state
    inject_env: bool = False  # PUBLIC_KEY with startSsh, JUPYTER_PASSWORD with startJupyter
    platform_port: bool = False  # RunPod's 19123/http mapping in runtime.ports
    vary_capacity_wording: bool = False
    check_images: bool = False  # vLLM/TGI images crash-loop on flags they reject
    crash_seconds: float = 2.0  # a rejected server runs this long before it exits
    restart_delay_seconds: float = 3.0  # and stays EXITED this long before a restart
    check_hosts: bool = False  # CUDA floor and container disk of known images (hosts.py)
    # Referenced resources exist (references.py): the image on its registry, network
    # volumes by id and in the pod's data center.
    check_references: bool = False
    # A stopped pod's host GPUs are rented by another tenant after this long (None: only
    # when a test says so with World.tenant_takes_gpu).
    host_reclaim_seconds: float | None = None
    # What a start does when the host's GPUs are gone: "fail" (v2 answers 400 "There are not
    # enough free GPUs on the host machine to start this pod.") or "zero" (starts with zero
    # GPUs, as the console offers). Which one v2 does is uncertain (RUNPOD.md §8c).
    no_gpu_start: str = "fail"
    # GB/s a pod downloads its served model's weights at before it answers (0 = instantly);
    # weights cached on its network volume are not downloaded again (network_volumes.py).
    weights_gbps: float = 0.0

    @classmethod
    def realistic(cls, boot_seconds: float = 3.0, **overrides: Any) -> Settings:
        """The sandbox's RunPod: eventual consistency and real serving images."""
        base = cls(provisioning_seconds=boot_seconds / 3, starting_seconds=boot_seconds * 2 / 3,
                   ports_after=min(2.0, boot_seconds / 3), read_lag_seconds=2.0,
                   stale_seconds=2.0, inject_env=True, platform_port=True,
                   vary_capacity_wording=True, check_images=True, check_hosts=True,
                   check_references=True)
        return replace(base, **overrides)


class WorldReads(Protocol):
    """What the outside views of a pod (view.py, hosts.py) read of the world: world.py
    imports them, never the reverse."""

    clock: Callable[[], float]
    settings: Settings

    def pod_cost(self, pod: SimPod) -> float: ...
