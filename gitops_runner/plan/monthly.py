"""The cost of a month (CONTRACT §11): GPU hours inside the running windows plus storage.

A 30-day projection per pod: its GPU price x the hours it runs (all 720 without a schedule,
none when declared stopped, the windows' weekly hours x 30/7 with a schedule), plus storage
at RunPod's published rates (plan/rates.py): container disk and volume while running, the
volume at the stopped rate for the rest of the month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_runner.config.model import PodSpec
from gitops_runner.plan import rates
from gitops_runner.plan.cost import PriceBook
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.observed import ALIVE, ObservedPod
from gitops_runner.plan.statefile import PodRecord, StateDoc

DAYS = 30


@dataclass(frozen=True)
class Projection:
    after: float  # the desired stack, its windows counted
    before: float  # the pods RunPod has now, under the same windows
    without_schedule: float  # the desired stack if scheduled pods ran all month
    notes: tuple[str, ...] = ()


def running_hours(spec: PodSpec | None, alive: bool = True) -> float:
    """Hours per 30 days the pod runs. Without a schedule, `alive` says whether it runs."""
    if spec is not None and spec.schedule is not None and spec.status != "stopped":
        return spec.schedule.weekly_hours() * DAYS / 7
    if spec is not None and spec.status == "stopped":
        return 0.0
    return float(rates.HOURS_PER_MONTH) if alive else 0.0


def pod_month(hourly: float, hours: float, disk_gb: int | None, volume_gb: int | None) -> float:
    running = min(1.0, hours / rates.HOURS_PER_MONTH)
    storage = (disk_gb or 0) * rates.CONTAINER_DISK_RUNNING * running
    storage += (volume_gb or 0) * (rates.VOLUME_RUNNING * running
                                   + rates.VOLUME_STOPPED * (1 - running))
    return hourly * hours + storage


def _volume_gb(mounts: Mapping[str, Any] | None) -> int | None:
    persistent = (mounts or {}).get("persistent") or {}
    size = persistent.get("size") if isinstance(persistent, Mapping) else None
    return size if isinstance(size, int) else None


def _desired_month(d: DesiredPod, hourly: float, scheduled: bool = True) -> float:
    spec = d.spec
    hours = running_hours(spec) if scheduled else (
        0.0 if spec is not None and spec.status == "stopped" else float(rates.HOURS_PER_MONTH))
    return pod_month(hourly, hours, d.public_body.get("disk"),
                     _volume_gb(d.public_body.get("mounts")))


def _hourly(d: DesiredPod, observed: Sequence[ObservedPod], prices: PriceBook) -> float:
    """The price it runs at: its current GPU if that is a candidate, else the first choice."""
    count, cloud = d.public_body["gpu"]["count"], d.public_body["cloud"]
    gpu = next((p.gpu_id for p in observed if p.gpu_id in d.candidates), d.candidates[0])
    return prices.pod_price(gpu or d.candidates[0], count, cloud) or 0.0


def _recorded_month(record: PodRecord, spec: PodSpec | None, prices: PriceBook) -> float:
    """A pod as state records it: its GPU, disk and volume as applied. Its power state
    now (a stop behind our back, an idle stop, a read that lags) does not move it."""
    cloud = str(record.spec.get("cloud") or "SECURE")
    hourly = prices.pod_price(record.gpu, record.gpu_count, cloud) or record.cost
    disk = record.spec.get("disk")
    return pod_month(hourly, running_hours(spec), disk if isinstance(disk, int) else None,
                     _volume_gb(record.spec.get("mounts")))


def _before(specs: Mapping[str, PodSpec | None], ours: Mapping[str, list[ObservedPod]],
            prices: PriceBook, state: StateDoc | None) -> float:
    """What the stack costs a month as applied: from state, so two plans of the same
    stack agree; a pod state does not know (found by its markers) as RunPod shows it."""
    recorded = dict(state.pods) if state is not None else {}
    before = sum(_recorded_month(r, specs.get(name), prices) for name, r in recorded.items())
    for logical, group in ours.items():
        for pod in group:
            if logical in recorded and recorded[logical].id == pod.id:
                continue
            hourly = prices.pod_price(pod.gpu_id or "", pod.gpu_count, pod.cloud) or pod.cost
            hours = running_hours(specs.get(logical), alive=pod.status in ALIVE)
            before += pod_month(hourly, hours, pod.disk, _volume_gb(pod.mounts))
    return before


def project(desired: Sequence[DesiredPod], ours: Mapping[str, list[ObservedPod]],
            prices: PriceBook, state: StateDoc | None = None) -> Projection:
    """After: each pod at the GPU it runs on (or its first choice when new), windows
    counted; before: the stack as state records it (see _before)."""
    specs = {d.logical: d.spec for d in desired}
    after = without = 0.0
    for d in desired:
        hourly = _hourly(d, ours.get(d.logical, []), prices)
        after += _desired_month(d, hourly)
        without += _desired_month(d, hourly, scheduled=False)
    before = _before(specs, ours, prices, state)
    notes = tuple(f"{d.logical}: network volume {d.spec.network_volume.id} is billed apart "
                  f"from the pod (${rates.NETWORK_VOLUME:.2f}/GB/month up to 1 TB) and is not "
                  "in the monthly projection" for d in desired
                  if d.spec is not None and d.spec.network_volume is not None
                  and d.spec.network_volume.id is not None)  # named: the stack's, counted
    return Projection(round(after, 2), round(before, 2), round(without, 2), notes)


def worst_case(desired: Iterable[DesiredPod], prices: PriceBook, volumes: float = 0.0) -> float:
    """Per 30 days at the dearest candidate GPU of each pod (as max_hourly_cost), plus
    `volumes`: the stack's own network volumes per 30 days. plan/guardrails.py checks it."""
    worst = volumes
    for d in desired:
        hourly = prices.worst_case(d.candidates, d.public_body["gpu"]["count"],
                                   d.public_body["cloud"]) or 0.0
        worst += _desired_month(d, hourly)
    return worst
