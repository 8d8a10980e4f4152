"""Stop and start as RunPod does them (RUNPOD.md §4.2, §8c):
- a stopped pod gives its GPUs back to the data center's pool but stays tied to its host;
  when another tenant takes them (a test's `World.tenant_takes_gpu`, or after
  `host_reclaim_seconds`), a start fails with "There are not enough free GPUs on the host
  machine to start this pod." (runpod-python #168, #371; GraphQL podResume wording; v2's
  status for it is uncertain: 400 here, as its other capacity answers) or, with
  `no_gpu_start: "zero"`, starts with zero GPUs (runpod/docs pods/troubleshooting/
  zero-gpus.mdx, manage-pods.mdx "You may be allocated zero GPUs");
- a locked pod cannot be stopped or reset (spec Pod.locked): 409, wording uncertain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.model import (
    LOCKED_DETAIL,
    NO_FREE_GPU,
    Response,
    SimPod,
    problem,
)

if TYPE_CHECKING:
    from gitops_runner.runpod.simulator.world import World


def _key(pod: SimPod) -> str:
    return catalog.capacity_key(pod.gpu_id, pod.data_center, pod.cloud)


def locked(pod: SimPod, action: str) -> Response | None:
    if pod.locked and action in ("stop", "restart"):
        return problem(409, LOCKED_DETAIL)
    return None


def stop(world: World, pod: SimPod) -> None:
    pod.stopped = True
    pod.stopped_at = world.clock()
    if not pod.zero_gpu:
        world.capacity[_key(pod)] = world.capacity.get(_key(pod), 0) + pod.gpu_count
    pod.zero_gpu = False
    world.log(pod, "Container stopped; GPUs released")


def host_has_gpus(world: World, pod: SimPod) -> bool:
    reclaim = world.settings.host_reclaim_seconds
    if pod.stopped_at is not None and reclaim is not None and \
            world.clock() - pod.stopped_at >= reclaim:
        pod.host_taken = True
    return not pod.host_taken and world.capacity.get(_key(pod), 0) >= pod.gpu_count


def start(world: World, pod: SimPod) -> Response | None:
    """Take the host's GPUs back; an error answer when they are gone (and no zero start)."""
    if host_has_gpus(world, pod):
        world.capacity[_key(pod)] -= pod.gpu_count
        pod.zero_gpu = False
        return None
    if world.settings.no_gpu_start == "zero":
        pod.zero_gpu = True
        world.log(pod, "Starting with zero GPUs: the host's GPUs are rented by another user")
        return None
    return problem(400, NO_FREE_GPU)


def tenant_takes_gpu(world: World, pod: SimPod) -> None:
    """Another user rents the stopped pod's host GPUs."""
    pod.host_taken = True
