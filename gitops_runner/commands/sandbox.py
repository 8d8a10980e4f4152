"""sandbox: change the simulated RunPod account behind the tool's back (stop or terminate
a pod, set a GPU's stock, inject a rate limit) so drift, fallback and idle stop can be
tried; `sandbox status` shows what is set. Only ever the sandbox (Session refuses else)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gitops_runner.commands.gpus import sandbox_stacks
from gitops_runner.engine.session import Session
from gitops_runner.errors import UsageError
from gitops_runner.report.jsonreport import dump
from gitops_runner.runpod.simulator import controls
from gitops_runner.runpod.simulator.world import World


def change(session: Session, configs: Sequence[str], what: Callable[[World], str]) -> int:
    """Apply one control to the account the deploy files' sandbox runs use."""
    with session.sandbox_account(sandbox_stacks(session, configs)) as world:
        try:
            line = what(world)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    session.out.report(line)
    return 0


def pod_control(session: Session, configs: Sequence[str], pod: str, action: str) -> int:
    return change(session, configs, lambda w: controls.console_action(w, pod, action))


def stock(session: Session, configs: Sequence[str], gpu_id: str, data_center: str,
          level: str, cloud: str | None) -> int:
    return change(session, configs,
                  lambda w: controls.set_stock(w, gpu_id, data_center, level, cloud))


def rate_limit(session: Session, configs: Sequence[str], seconds: int, times: int) -> int:
    return change(session, configs, lambda w: controls.rate_limit(w, seconds, times))


def reset(session: Session, configs: Sequence[str]) -> int:
    return change(session, configs, controls.clear)


def status(session: Session, configs: Sequence[str], fmt: str = "text") -> int:
    with session.sandbox_account(sandbox_stacks(session, configs)) as world:
        seen = controls.describe(world)
    session.out.report(dump(_json(seen)) if fmt == "json" else _text(seen))
    return 0


def _json(seen: dict[str, Any]) -> dict[str, Any]:
    stock = []
    for key, free in seen["stock"].items():
        gpu, data_center, cloud = key.split("|")
        stock.append({"gpu": gpu, "data_center": data_center, "cloud": cloud, "free": free})
    faults = [{"route": f["route"], "kind": f["kind"], "times": f["times"],
               "retry_after_seconds": int(f["seconds"]) if f["kind"] == "429" else None}
              for f in seen["faults"]]
    return {"stock": stock, "faults": faults, "pods": seen["pods"]}


def _text(seen: dict[str, Any]) -> str:
    lines = ["Stock set (differs from the default 64 free GPUs):"]
    lines += [f"  {key.replace('|', '  ')}  {free}" for key, free in seen["stock"].items()] \
        or ["  none"]
    lines.append("Pending rate limits and faults:")
    lines += [f"  {f['kind']} on {f['route']} for the next {f['times']} request(s)"
              + (f", Retry-After: {int(f['seconds'])}" if f["kind"] == "429" else "")
              for f in seen["faults"]] or ["  none"]
    lines.append("Pods:")
    lines += [f"  {p['id']}  {p['name']}  {p['status']}" for p in seen["pods"]] or ["  none"]
    return "\n".join(lines)
