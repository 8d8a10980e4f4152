"""Routes of /v2/templates and /v2/serverless in the simulator (runpod-openapi-v2.json)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitops_runner.runpod.simulator import serverless_view as sv
from gitops_runner.runpod.simulator.model import Response, problem
from gitops_runner.runpod.simulator.serverless import SimEndpoint, template_view

if TYPE_CHECKING:
    from gitops_runner.runpod.simulator.world import World


def _listed_workers(world: World, ep: SimEndpoint) -> list[dict[str, Any]]:
    boot = world.settings.provisioning_seconds + world.settings.starting_seconds
    return sv.workers(ep, world.clock(), max(boot, 0.001), world.capacity,
                      world.settings.check_images)


def _endpoint_answer(answer: Response) -> Response:
    status, body = answer
    return (status, sv.render_endpoint(body)) if isinstance(body, SimEndpoint) else answer


def route(world: World, method: str, parts: list[str], body: Any) -> Response | None:
    """The answer for a serverless or template path, or None when the path is not one."""
    sl, now = world.serverless, world.clock()
    if parts[:2] == ["v2", "templates"]:
        if len(parts) == 2:
            if method == "GET":
                return 200, {"templates": [template_view(t) for t in sl.templates.values()]}
            if method == "POST":
                return sl.create_template(body, now)
        elif len(parts) == 3:
            t = sl.templates.get(parts[2])
            if method == "GET":
                return (200, template_view(t)) if t else problem(404, "template not found")
            if method == "PATCH":
                return sl.update_template(parts[2], body)
            if method == "DELETE":
                return sl.delete_template(parts[2])
        return None
    if parts[:2] != ["v2", "serverless"]:
        return None
    if len(parts) == 2:
        if method == "GET":
            return 200, {"endpoints": [sv.render_endpoint(e) for e in sl.endpoints.values()]}
        if method == "POST":
            return _endpoint_answer(sl.create_endpoint(body, now))
        return None
    ep = sl.endpoints.get(parts[2])
    if len(parts) == 3:
        if method == "GET":
            return (200, sv.render_endpoint(ep)) if ep else problem(404, "endpoint not found")
        if method == "PATCH":
            return _endpoint_answer(sl.update_endpoint(parts[2], body, now))
        if method == "DELETE":
            return sl.delete_endpoint(parts[2])
        return None
    if len(parts) == 4 and method == "GET" and parts[3] in ("workers", "releases"):
        if ep is None:
            return problem(404, "endpoint not found")
        listed = _listed_workers(world, ep)
        return 200, (sv.workers_body(ep, listed) if parts[3] == "workers"
                     else sv.releases_body(ep, listed))
    return None
