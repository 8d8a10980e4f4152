"""Resources a create refers to (RUNPOD.md §8c "Referenced resources"):
- an image that is not on its registry: 422 at create (wording of the error entry
  uncertain). Known here: `vllm/vllm-openai` and TGI tags that are not releases, and any
  image whose name says `does-not-exist`;
- a network volume id RunPod does not know: 404 (probably; uncertain); an unknown template
  id: 404 (the simulator knows no templates);
- a network volume lives in one data center and pins the pod there (RUNPOD.md §6.2, §8b):
  `dataCenterIds` without that data center cannot place the pod (400).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gitops_runner.config.images import engine_of, repository_and_tag
from gitops_runner.runpod.simulator.model import Response, SimPod, problem

if TYPE_CHECKING:
    from gitops_runner.runpod.simulator.world import World

_RELEASE = {
    "vllm": re.compile(r"^(latest|nightly|v0\.([1-9]|[12]\d|30)\.\d+(\.post\d+)?(-cu\d{3})?)$"),
    "tgi": re.compile(r"^(latest|[0-3]\.\d+(\.\d+)?)$"),
}


def image_missing(image: str) -> bool:
    if "does-not-exist" in image:
        return True
    engine = engine_of(image)
    if engine is None or "@" in image:
        return False
    _, tag = repository_and_tag(image)
    return not _RELEASE[engine].match(tag)


def _volume_ids(body: dict[str, Any]) -> list[str]:
    return [str(m.get("volumeId")) for m in (body.get("mounts") or {}).get("network") or []]


def create_refusal(world: World, body: dict[str, Any]) -> Response | None:
    if not world.settings.check_references:
        return None
    if body.get("templateId"):
        return problem(404, f"template {body['templateId']} not found")
    image = str(body.get("image", ""))
    if image_missing(image):
        return problem(422, "Request validation failed.",
                       [f"$.image: manifest for {image} not found: manifest unknown"])
    for volume_id in _volume_ids(body):
        volume = world.network_volumes.get(volume_id)
        if volume is None:
            return problem(404, f"network volume {volume_id} not found")
        wanted = body.get("dataCenterIds") or []
        if wanted and volume["dataCenter"] not in wanted:
            return problem(400, f"network volume {volume_id} is in {volume['dataCenter']}, "
                                f"not in the requested data centers ({', '.join(wanted)}); "
                                "a pod with a network volume runs in the volume's data center")
    return None


def data_centers(world: World, body: dict[str, Any]) -> list[str]:
    """Where the pod may land: its dataCenterIds, narrowed to its network volume's."""
    wanted = list(body.get("dataCenterIds") or [])
    for volume_id in _volume_ids(body):
        volume = world.network_volumes.get(volume_id)
        if volume is not None and world.settings.check_references:
            return [volume["dataCenter"]]
    return wanted


def mount_patch_error(pod: SimPod, mounts: dict[str, Any]) -> str | None:
    """The v2 PATCH mount rules (RUNPOD.md §1.3)."""
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
