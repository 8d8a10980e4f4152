"""What `gitops-runner sandbox` does to the simulated account between runs: what a person
in the RunPod console, other tenants, or RunPod's rate limiter would do behind the tool's
back, so drift, fallback and idle stop can be tried without editing the sandbox's file.

Every function changes the World in place and returns a line saying what it did, or
raises ValueError with what to do instead.
"""

from __future__ import annotations

from typing import Any

from gitops_runner.plan.catalog import STOCK_FLOOR, level_for
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.model import Fault
from gitops_runner.runpod.simulator.world import World

# The route a control's rate limit answers 429 on: every v2 request, whatever its method.
RATE_LIMIT_ROUTE = "* /v2/*"


def find_pod(world: World, ref: str) -> str:
    """The id of the live pod whose id or RunPod name is `ref`."""
    live = [p for p in world.pods.values() if not p.terminated]
    found = [p for p in live if ref in (p.id, p.name)]
    if len(found) == 1:
        return found[0].id
    known = ", ".join(f"{p.id} ({p.name})" for p in live) or "none"
    what = "names several pods" if found else "is no live pod"
    raise ValueError(f"{ref!r} {what} in the sandbox; give a pod id (live pods: {known})")


def console_action(world: World, ref: str, action: str) -> str:
    """Stop or terminate a pod as the RunPod console does (the same rules as the API: a
    locked pod cannot be stopped, RUNPOD.md §4.2)."""
    pod_id = find_pod(world, ref)
    status, body = world.pod_action(pod_id, {"action": action})
    if status >= 400:
        raise ValueError(f"RunPod would refuse to {action} pod {pod_id}: {body.get('detail')}")
    done = "stopped" if action == "stop" else "terminated"
    return f"pod {pod_id} ({world.pods[pod_id].name}) {done} behind gitops-runner's back"


def _count(level_or_count: str) -> int:
    word = level_or_count.strip().upper()
    if word in STOCK_FLOOR:
        return STOCK_FLOOR[word]
    if word.isdigit():
        return int(word)
    raise ValueError(f"stock {level_or_count!r} is neither a level "
                     f"({', '.join(s.lower() for s in STOCK_FLOOR)}) nor a count of free GPUs")


def set_stock(world: World, gpu_id: str, data_center: str, level_or_count: str,
              cloud: str | None = None) -> str:
    """Free GPUs of `gpu_id` in `data_center` ("all": every one) on `cloud` (None: every
    cloud that offers it); the catalog's availability and creates both read this stock."""
    count = _count(level_or_count)
    gpu = next((g for g in catalog.TYPES if g["id"] == gpu_id), None)
    if gpu is None:
        raise ValueError(f"unknown GPU {gpu_id!r}; `gitops-runner gpus --sandbox` lists the ids")
    dcs = [dc for dc, _ in catalog.DATA_CENTERS]
    if data_center != "all" and data_center not in dcs:
        raise ValueError(f"unknown data center {data_center!r}; one of {', '.join(dcs)} or all")
    clouds = [c for c in ("SECURE", "COMMUNITY") if gpu.get(c.lower()) and cloud in (None, c)]
    if not clouds:
        raise ValueError(f"{gpu_id} is not offered on {cloud} cloud")
    for dc in dcs if data_center == "all" else [data_center]:
        for each in clouds:
            world.capacity[catalog.capacity_key(gpu_id, dc, each)] = count
    where = "every data center" if data_center == "all" else data_center
    return (f"stock of {gpu_id} in {where} ({'/'.join(clouds)}): {count} free GPU(s), "
            f"reads as {level_for(count)}")


def rate_limit(world: World, seconds: int, times: int) -> str:
    """The next `times` RunPod requests answer 429 with `Retry-After: seconds`, as RunPod's
    rate limiter does (RUNPOD.md §1.5: integer seconds, minute-window wording)."""
    if seconds < 0 or times < 1:
        raise ValueError("give SECONDS >= 0 and --times >= 1")
    world.faults = [f for f in world.faults if f.route != RATE_LIMIT_ROUTE]
    world.faults.append(Fault(RATE_LIMIT_ROUTE, "429", times=times, seconds=float(seconds)))
    return (f"the next {times} RunPod request(s) get 429 with Retry-After: {seconds}")


def clear(world: World) -> str:
    """Default stock everywhere and no pending faults (pods are left alone)."""
    world.capacity = catalog.default_capacity()
    world.faults = []
    return "stock back to the default everywhere; no pending rate limit or fault"


def describe(world: World) -> dict[str, Any]:
    """What the controls have set: stock that differs from the default, pending faults,
    and the pods (id, RunPod name, status) the stop and terminate controls take."""
    default = catalog.default_capacity()
    stock = {key: free for key, free in sorted(world.capacity.items())
             if free != default.get(key)}
    faults = [{"route": f.route, "kind": f.kind, "times": f.times, "seconds": f.seconds}
              for f in world.faults if f.times > 0]
    pods = [{"id": p.id, "name": p.name, "status": world.status(p)}
            for p in world.pods.values() if not p.terminated]
    return {"stock": stock, "faults": faults, "pods": pods}
