"""The typed deploy-file model, with defaults applied (project defaults flow into pods)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NewType

from gitops_runner.config.windows import Schedule

if TYPE_CHECKING:
    from gitops_runner.config.endpoints import EndpointSpec

StackName = NewType("StackName", str)

DEFAULT_ENVIRONMENT = "dev"
DEFAULT_CLOUD = "SECURE"
DEFAULT_DISK_GB = 20
DEFAULT_HEALTH_TIMEOUT = 900
DEFAULT_HEALTH_INTERVAL = 10
# A model pod without a health_check gets the server's own, with time to load the weights
# (CONTRACT §4).
MODEL_HEALTH_TIMEOUT = 1800
DEFAULT_PREFIX = "gitops-runner"
DEFAULT_LOCAL_DIR = ".gitops-runner"


@dataclass(frozen=True)
class SecretRef:
    """An env value read from the runner's environment at plan/apply time."""

    name: str


EnvValue = str | SecretRef


@dataclass(frozen=True)
class Gpu:
    type: str
    count: int = 1
    fallback: tuple[str, ...] = ()
    min_cuda_version: str | None = None

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.type, *self.fallback)


@dataclass(frozen=True)
class Volume:
    size_gb: int
    path: str


@dataclass(frozen=True)
class NetworkVolume:
    """A pod's network mount: a volume of the stack's `volumes` (name) or an existing id."""

    id: str | None  # None with `name`
    path: str
    name: str | None = None


@dataclass(frozen=True)
class StackVolume:
    """A RunPod network volume the stack owns (CONTRACT §14), one per data center."""

    name: str
    size_gb: int
    data_centers: tuple[str, ...]
    # True with `data_centers` (names end in -{dc}); False with one `data_center`.
    per_data_center: bool = False
    type: str | None = None  # STANDARD | HIGH_PERFORMANCE; None = the data center's default


@dataclass(frozen=True)
class Runtime:
    image: str
    args: tuple[str, ...] | str | None = None
    env: Mapping[str, EnvValue] = field(default_factory=dict)
    registry_auth_id: str | None = None


@dataclass(frozen=True)
class Model:
    id: str
    repo: str
    engine: str | None = None
    quant: str | None = None
    max_seq_len: int | None = None
    options: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    api_key: SecretRef | None = None  # the server's API key (vLLM VLLM_API_KEY, TGI API_KEY)


@dataclass(frozen=True)
class HealthCheck:
    path: str
    port: int
    timeout_seconds: int = DEFAULT_HEALTH_TIMEOUT
    interval_seconds: int = DEFAULT_HEALTH_INTERVAL
    # Set for a model pod's default check: after `path` answers 2xx, GET /v1/models must
    # list this served name, sending `api_key` as a bearer token (CONTRACT §4).
    served_model: str | None = None
    api_key: SecretRef | None = None


@dataclass(frozen=True)
class Rollout:
    """CONTRACT §10: how an entry's replicas change."""

    max_unavailable: int = 1
    max_surge: int = 1


@dataclass(frozen=True)
class IdleStop:
    """CONTRACT §11: stop a pod whose every GPU stayed below `gpu_util_below` % for `minutes`."""

    gpu_util_below: float
    minutes: int


@dataclass(frozen=True)
class PodSpec:
    name: str
    gpu: Gpu
    runtime: Runtime
    replicas: int = 1
    cloud_type: str = DEFAULT_CLOUD
    data_centers: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    disk_gb: int = DEFAULT_DISK_GB
    volume: Volume | None = None
    network_volume: NetworkVolume | None = None
    models: tuple[Model, ...] = ()
    health_check: HealthCheck | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    rollout: Rollout = field(default_factory=Rollout)
    status: str = "running"  # running | stopped (CONTRACT §11)
    schedule: Schedule | None = None
    idle_stop: IdleStop | None = None


@dataclass(frozen=True)
class LockSettings:
    backend: str  # dynamodb | s3 | none | file
    table: str | None = None
    # None: not set in the file (0 s, or 600 s in GitHub Actions: CONTRACT §7).
    wait_seconds: int | None = None


@dataclass(frozen=True)
class StateSettings:
    backend: str = "local"
    bucket: str | None = None
    prefix: str = DEFAULT_PREFIX
    region: str | None = None
    kms_key_id: str | None = None
    path: str = DEFAULT_LOCAL_DIR  # resolved against the deploy file's directory
    lock: LockSettings = field(default_factory=lambda: LockSettings("file"))


@dataclass(frozen=True)
class Guardrails:
    max_hourly_cost: float | None = None
    max_monthly_cost: float | None = None
    max_gpus: int | None = None
    max_pods: int | None = None
    allowed_gpu_types: tuple[str, ...] = ()
    allow_gpu_fallback: bool = True
    allow_delete: bool = False
    allow_data_loss: bool = False  # CONTRACT §4: destroying a pod volume needs this too
    max_deletes: int | None = None
    ttl_hours: float = 0


@dataclass(frozen=True)
class Preview:
    """CONTRACT §12: the stack's per-pull-request previews (config/preview.py derives them)."""

    label: str
    ttl_hours: float
    max_hourly_cost: float
    pods: tuple[PodSpec, ...]  # the stack's pods with `overrides` merged over each
    # The policy's allow-lists (read from the default branch's file in the Action).
    # Empty GPU types / images: any; empty secrets, volumes, registries: none.
    allowed_gpu_types: tuple[str, ...] = ()
    allowed_images: tuple[str, ...] = ()  # prefixes
    allowed_secrets: tuple[str, ...] = ()
    allow_runpod_secrets: bool = False
    network_volumes: tuple[str, ...] = ()
    registry_auth_ids: tuple[str, ...] = ()
    # The raw `overrides` as written (already merged into `pods`): reviewed as policy (§4).
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stack:
    """One deploy file: project + environment and its pods."""

    file: str
    project: str
    environment: str
    pods: tuple[PodSpec, ...]
    state: StateSettings = field(default_factory=StateSettings)
    guardrails: Guardrails = field(default_factory=Guardrails)
    preview: Preview | None = None
    # `moved` (CONTRACT §4): old pod entry or volume name -> new name; kept and renamed.
    moved: Mapping[str, str] = field(default_factory=dict)
    # `moved` entry's old name -> "file:line:col" of its `to`, for problems found with state.
    moved_at: Mapping[str, str] = field(default_factory=dict)
    volumes: tuple[StackVolume, ...] = ()  # CONTRACT §14
    # Serverless endpoints (CONTRACT §14): config/endpoints.py.
    endpoints: tuple[EndpointSpec, ...] = ()

    @property
    def name(self) -> StackName:
        return StackName(f"{self.project}/{self.environment}")
