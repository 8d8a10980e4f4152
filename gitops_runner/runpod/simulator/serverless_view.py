"""How a simulated endpoint looks at a moment: its body, workers and releases.

Computed from timestamps on the world's clock, so rollouts run in virtual time:
- workers = max(workers.min, demand) capped at workers.max; a worker boots for the
  pod boot time (provisioning + starting) before it is IDLE (or RUNNING with demand);
- a release replaces workers one at a time: the new one boots, then the old one
  (stale, still serving) is retired — "in-flight workers keep the previous version
  until they are replaced" (PATCH /v2/serverless/{id}, runpod-openapi-v2.json);
- a release whose image cannot serve (the sandbox's "bad" image rule, as for pods in
  view.py, or a vLLM/TGI flag error) leaves its first new worker UNHEALTHY: the
  rollout stalls and every old worker keeps serving the previous release; so does a
  QUEUE endpoint running vLLM's or TGI's own HTTP server image: a queue worker must run
  a handler (runpod.serverless.start) that takes jobs, "Handler required? Yes" for
  queue-based endpoints (docs.runpod.io/serverless/endpoints/overview), and the plain
  server never does (jobs wait IN_QUEUE: docs.runpod.io/serverless/troubleshooting);
- with no GPU of the selection (pools minus excludedTypes) in stock in the allowed
  data centers, workers wait THROTTLED ("waiting on compute capacity", WorkerStatus).
"""

from __future__ import annotations

from typing import Any

from gitops_runner.config.images import engine_of
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.images import Machine, check_server
from gitops_runner.runpod.simulator.model import iso
from gitops_runner.runpod.simulator.serverless import SimEndpoint, SimRelease

QUEUE_URL = "https://api.runpod.ai/v2/{id}"  # QueueBasedRequestUrls examples
LB_URL = "https://{id}.api.runpod.ai"  # LoadBalancingRequestUrls examples


def request_urls(endpoint_id: str, kind: str, env: dict[str, str]) -> dict[str, str]:
    if kind == "LOAD_BALANCER":
        base = LB_URL.format(id=endpoint_id)
        return {"base": base, "health": base + env.get("HEALTH_CHECK_PATH", "/ping")}
    base = QUEUE_URL.format(id=endpoint_id)
    return {"run": f"{base}/run", "runSync": f"{base}/runsync",
            "status": f"{base}/status/{{job_id}}", "stream": f"{base}/stream/{{job_id}}",
            "cancel": f"{base}/cancel/{{job_id}}", "retry": f"{base}/retry/{{job_id}}",
            "purgeQueue": f"{base}/purge-queue", "health": f"{base}/health"}


def render_endpoint(ep: SimEndpoint) -> dict[str, Any]:
    gpu = ep.config["gpu"]
    workers = dict(ep.config["workers"])
    scaling = ep.config["scaling"]
    if ep.type == "QUEUE" and scaling.get("type") == "REQUEST_COUNT":
        workers.pop("idleTimeout", None)  # "omitted from responses for that combination"
    return {
        "id": ep.id, "name": ep.name, "type": ep.type,
        "requestUrls": request_urls(ep.id, ep.type, ep.container.get("env", {})),
        "gpu": {"pools": list(gpu["pools"]), "excludedTypes": list(gpu.get("excludedTypes", [])),
                "count": gpu.get("count", 1),
                "allowedCudaVersions": list(gpu.get("allowedCudaVersions", [])),
                "minCudaVersion": gpu.get("minCudaVersion") or None},
        "workers": workers, "scaling": dict(scaling),
        "dataCenterIds": list(ep.config["dataCenterIds"]),
        "networkVolumes": list(ep.config["networkVolumes"]),
        "timeout": ep.config["timeout"], "flashboot": ep.config["flashboot"],
        "createdAt": iso(ep.created_at),
        "image": ep.container.get("image"), "args": ep.container.get("args", ""),
        "disk": ep.container.get("disk", 20), "env": dict(ep.container.get("env", {})),
        "ports": list(ep.container.get("ports", [])), "registry": ep.container.get("registry"),
    }


def release_fails(release: SimRelease, gpus: int, gpu_id: str, check_images: bool,
                  queue: bool = False) -> bool:
    c = release.container
    if "bad" in str(c.get("image", "")).split("/")[-1]:
        return True
    if queue and engine_of(str(c.get("image", ""))) is not None:
        return True  # an HTTP server, no handler: it never takes a queued job
    memory = catalog.memory_gb(gpu_id)
    # Disk is not judged here: serverless workers' disk use is not modelled.
    machine = Machine(gpus, gpu_id, memory)
    return check_images and check_server(str(c.get("image", "")), str(c.get("args", "")),
                                         c.get("env", {}), machine).error is not None


def placement(ep: SimEndpoint, capacity: dict[str, int]) -> tuple[str, str] | None:
    """The first (GPU, data center) of the selection with stock, or None."""
    gpu = ep.config["gpu"]
    excluded = {t.strip() for t in gpu.get("excludedTypes", [])}
    dcs = ep.config["dataCenterIds"] or [dc for dc, _ in catalog.DATA_CENTERS]
    # minCudaVersion: placement only on hosts with at least that CUDA (EndpointGpuConfig).
    floor = gpu.get("minCudaVersion")
    if floor:
        dcs = [dc for dc in dcs if _cuda(catalog.host_cuda(dc)) >= _cuda(floor)]
    for gpu_id, pool in catalog.serverless_pools().items():
        if pool in gpu["pools"] and gpu_id not in excluded:
            for dc in dcs:
                if capacity.get(catalog.capacity_key(gpu_id, dc, "SECURE"), 0) >= gpu.get(
                        "count", 1):
                    return gpu_id, dc
    return None


def _cuda(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(".") if x.isdigit())


def workers(ep: SimEndpoint, now: float, boot: float, capacity: dict[str, int],
            check_images: bool) -> list[dict[str, Any]]:
    bounds = ep.config["workers"]
    n = min(max(bounds.get("min", 0), ep.demand), bounds.get("max", 3))
    if n <= 0 or not ep.releases:
        return []
    count = ep.config["gpu"].get("count", 1)
    where = placement(ep, capacity)
    latest = ep.releases[-1]
    if where is None:
        return [_worker(ep, i, latest, "THROTTLED", None, now, None) for i in range(n)]
    fails = [release_fails(r, count, where[0], check_images, ep.type == "QUEUE")
             for r in ep.releases]
    previous = next((r for r, bad in zip(reversed(ep.releases[:-1]), reversed(fails[:-1]),
                                         strict=True) if not bad), None)
    out: list[dict[str, Any]] = []
    if fails[-1]:
        out += [_ready(ep, i, previous, now, where) for i in range(n)] if previous else []
        status = "INITIALIZING" if now < latest.created_at + boot else "UNHEALTHY"
        out.append(_worker(ep, 0, latest, status, latest.created_at, now, where))
        return out
    if previous is None or len(ep.releases) == 1:
        return [_booting(ep, i, latest, latest.created_at, boot, now, where) for i in range(n)]
    done = min(n, int(max(0.0, now - latest.created_at) // boot))
    for i in range(n):
        if i < done:
            out.append(_ready(ep, i, latest, now, where, since=latest.created_at + i * boot))
        else:
            out.append(_ready(ep, i, previous, now, where))
            if i == done:
                out.append(_booting(ep, i, latest, latest.created_at + i * boot, boot, now,
                                    where))
    return out


def _booting(ep: SimEndpoint, slot: int, rel: SimRelease, start: float, boot: float,
             now: float, where: tuple[str, str]) -> dict[str, Any]:
    start = max(start, ep.config.get("scaledAt", 0.0) if slot >= ep.config.get(
        "scaledFrom", 0) else 0.0)
    if now < start + boot:
        return _worker(ep, slot, rel, "INITIALIZING", None, now, where)
    return _ready(ep, slot, rel, now, where, since=start + boot)


def _ready(ep: SimEndpoint, slot: int, rel: SimRelease, now: float, where: tuple[str, str],
           since: float | None = None) -> dict[str, Any]:
    status = "RUNNING" if slot < ep.demand else "IDLE"
    return _worker(ep, slot, rel, status, since if since is not None else rel.created_at,
                   now, where)


def _worker(ep: SimEndpoint, slot: int, rel: SimRelease, status: str, started: float | None,
            now: float, where: tuple[str, str] | None) -> dict[str, Any]:
    return {"id": f"{ep.id}-{slot}-v{rel.version}", "status": status,
            "isStale": rel.version != ep.version, "version": rel.version,
            "gpuCount": ep.config["gpu"].get("count", 1), "image": rel.container.get("image"),
            "uptimeSeconds": int(now - started) if started is not None and status not in (
                "INITIALIZING", "THROTTLED") else None,
            "gpuTypeId": where[0] if where else None, "dataCenterId": where[1] if where else None,
            "startedAt": iso(started) if started is not None else None}


def workers_body(ep: SimEndpoint, listed: list[dict[str, Any]]) -> dict[str, Any]:
    summary = {k: 0 for k in ("running", "idle", "initializing", "throttled", "unhealthy")}
    for w in listed:
        summary[w["status"].lower()] += 1
    return {"workers": listed, "summary": {**summary, "total": len(listed)},
            "endpointVersion": ep.version}


def releases_body(ep: SimEndpoint, listed: list[dict[str, Any]]) -> dict[str, Any]:
    on_latest = sum(1 for w in listed if w["version"] == ep.version)
    total = len(listed)
    return {
        "endpointVersion": ep.version,
        "rollout": {"inProgress": any(w["isStale"] for w in listed),
                    "workersOnLatest": on_latest, "workersTotal": total,
                    "percentOnLatest": (on_latest * 100 // total) if total else 0},
        "releases": [{"id": r.id, "version": r.version, "source": "MANUAL", "buildId": None,
                      "createdByUserId": None, "createdAt": iso(r.created_at),
                      "workerCount": sum(1 for w in listed if w["version"] == r.version),
                      "diff": list(r.diff)} for r in reversed(ep.releases)],
    }
