"""What the host does before the server runs: a pod whose image needs a newer CUDA than
the host has, or whose container disk cannot hold the unpacked image, reads RUNNING and
billed but never gets a runtime (RUNPOD.md §4.4, §8c). The system log says why, in the
words RunPod's hosts write:
- CUDA: `nvidia-container-cli: requirement error: unsatisfied condition: cuda>=13.0`
  (Nerogar/OneTrainer #981; ai-dynamo/nixl PR #2140);
- disk: the image pull fails with `no space left on device` and is retried
  (runpod/docs pods/templates/manage-templates.mdx; artokun/comfyui-mcp PR #2022).
Also the machine the server sees: its GPUs' memory and the disk left for the weights.
"""

from __future__ import annotations

from gitops_runner.config.images import cuda_tuple, image_facts
from gitops_runner.runpod.simulator import catalog
from gitops_runner.runpod.simulator.images import Machine
from gitops_runner.runpod.simulator.model import SimPod, WorldReads


def refusal(world: WorldReads, pod: SimPod) -> str | None:
    """Why the host never starts the pod's container, or None."""
    if not world.settings.check_hosts:
        return None
    facts = image_facts(pod.image)
    if facts is None:
        return None
    host = catalog.host_cuda(pod.data_center)
    if facts.cuda_floor and cuda_tuple(host) < cuda_tuple(facts.cuda_floor):
        return ("error starting container: nvidia-container-cli: requirement error: "
                f"unsatisfied condition: cuda>={facts.cuda_floor}, please update your driver "
                "to a newer version, or use an earlier cuda container (host CUDA "
                f"{host}): unknown")
    if facts.unpacked_gb and pod.disk < facts.unpacked_gb:
        return (f"error pulling image {pod.image}: failed to register layer: write "
                "/usr/local/lib/python3.12/dist-packages: no space left on device "
                f"(container disk {pod.disk} GB, image {facts.unpacked_gb:g} GB unpacked)")
    return None


def machine(world: WorldReads, pod: SimPod) -> Machine:
    """The GPUs and the free container disk the pod's server sees."""
    facts = image_facts(pod.image)
    on_volume = bool(pod.mounts) and any(
        pod.env.get(key, "").startswith(_mount_paths(pod)) for key in ("HF_HOME",))
    free = None if on_volume else pod.disk - ((facts.unpacked_gb or 0.0) if facts else 0.0)
    if not world.settings.check_hosts:
        free = None
    return Machine(gpus=0 if pod.zero_gpu else pod.gpu_count, gpu_id=pod.gpu_id,
                   gpu_memory_gb=catalog.memory_gb(pod.gpu_id), disk_free_gb=free)


def _mount_paths(pod: SimPod) -> tuple[str, ...]:
    if "persistent" in pod.mounts:
        return (str(pod.mounts["persistent"].get("path", "/workspace")),)
    return tuple(str(m.get("path", "")) for m in pod.mounts.get("network", [])) or ("\0",)
