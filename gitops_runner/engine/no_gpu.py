"""A scheduled start that finds no GPU (CONTRACT §11). A stopped pod gave its GPUs back to
RunPod; when another tenant took them, the start fails ("There are not enough free GPUs on
the host machine to start this pod") or the pod comes back with zero GPUs (RUNPOD.md §4.2,
§8c). Either way it is never silently down: a zero-GPU pod is stopped again; the event is
reported with the fix; with `schedule.on_no_gpu: recreate` (no pod volume: nothing is
lost) the pod is replaced through the usual GPU/data-center candidates, the new one
created and checked ready before the old one is terminated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_runner.engine.executor import Executor
from gitops_runner.engine.fence import Fence
from gitops_runner.engine.journal import Journal
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.engine.writer import Writer
from gitops_runner.plan.desired import DesiredPod
from gitops_runner.plan.model import ActionKind, PlanAction
from gitops_runner.runpod.errors import RunPodError


def no_free_gpu(pod_id: str, detail: str) -> str:
    return (f"pod {pod_id} cannot start: its host has no free GPU ({detail}). A stopped pod "
            "resumes only on its own host; try again later, set schedule.on_no_gpu: recreate "
            "(a pod without a pod volume), or terminate it on RunPod and run apply, which "
            "creates it elsewhere (its volume is lost)")


def zero_gpus(pod: Mapping[str, Any] | None) -> bool:
    """Did the start come back without the pod's GPUs?"""
    gpu = (pod or {}).get("gpu")
    return isinstance(gpu, Mapping) and gpu.get("count") == 0


def stop_zero_gpu(writer: Writer, pod_id: str) -> str:
    """Stop a pod that started without its GPUs (it would bill and serve nothing)."""
    try:
        writer.stop(pod_id)
    except RunPodError as exc:
        return (f"pod {pod_id} started with zero GPUs (its host's GPUs are rented by someone "
                f"else) and could not be stopped again: {exc}")
    return (f"pod {pod_id} started with zero GPUs (its host's GPUs are rented by someone else); "
            "stopped again")


def wants_recreate(want: DesiredPod) -> bool:
    spec = want.spec
    # The pod volume as applied (the body state recorded), not as a later file says.
    applied_volume = (want.public_body.get("mounts") or {}).get("persistent")
    return bool(spec is not None and spec.schedule is not None and
                spec.schedule.on_no_gpu == "recreate" and spec.volume is None
                and not applied_volume)


def recreate(session: Session, journal: Journal, access: RunPodAccess, stack_name: str,
             want: DesiredPod, pod_id: str, why: str) -> tuple[bool, str]:
    """Replace the pod that cannot start: (ok, what happened)."""
    secrets: dict[str, str] = {}
    for key, name in want.secret_env.items():
        if not session.secret_source.get(name, ""):
            return False, (f"{why}; on_no_gpu: recreate could not run: secret {name} (env "
                           f"{key}) is not set; export it for the schedule run")
        secrets[name] = session.secret_source[name]
    session.out.add_secrets(secrets.values())
    session.log(f"{want.logical}: {why}; recreating it (schedule.on_no_gpu: recreate)")
    executor = Executor(access.client, journal, stack_name, secrets, access.proxy_url,
                        session.log, poll_seconds=access.poll_seconds, clock=session.clock,
                        fence=journal.fence or Fence(session.clock))
    action = PlanAction(pod=want.logical, action=ActionKind.REPLACE,
                        notes=("no free GPU on its host (schedule.on_no_gpu: recreate)",),
                        pod_id=pod_id, desired=want)
    (outcome,) = executor.run_group([action])
    if outcome.ok:
        return True, f"{why}; recreated: {outcome.detail}"
    return False, f"{why}; recreate failed: {outcome.detail}"
