"""State and lock records as text lines and JSON reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from gitops_runner.plan.statefile import StateDoc, render_state
from gitops_runner.report.jsonreport import dump


class LockRecord(Protocol):
    """What a lock holder shows (state.base.LockInfo is one)."""

    @property
    def expires_epoch(self) -> int: ...

    def describe(self) -> str: ...

    def to_json(self) -> str: ...


def state_lines(doc: StateDoc | None, what: str) -> list[str]:
    if doc is None:
        return ["(no state yet)"] if what != "pull" else []
    if what in ("show", "pull"):
        return [render_state(doc).rstrip("\n")]
    if what == "list":
        return [f"{name}\t{rec.id}\t{rec.gpu} x{rec.gpu_count}\t${rec.cost:.2f}/h\t"
                + ("healthy" if rec.healthy else "unhealthy")
                for name, rec in sorted(doc.pods.items())] + [
                f"endpoint {name}\t{rec.id or '-'}\ttemplate {rec.template_id}\t"
                f"v{rec.version or '-'}\t" + ("healthy" if rec.healthy else "release failed")
                for name, rec in sorted(doc.endpoints.items())]
    return [f"{h.when}\t{h.who}\t{h.operation}\t{h.result}\t{h.fingerprint[:12]}"
            for h in doc.history]


def state_json(stack: str, doc: StateDoc | None, what: str) -> str:
    """show: the state document (null before the first write); list: one object a pod,
    and the unmanaged ones; history: the entries, oldest first."""
    if what == "show":
        return dump({"stack": stack,
                     "state": json.loads(render_state(doc)) if doc is not None else None})
    if what == "list":
        pods = [{"pod": name, "id": rec.id, "gpu": rec.gpu, "gpu_count": rec.gpu_count,
                 "cost_per_hour": rec.cost, "healthy": rec.healthy,
                 "created_at": rec.created_at, "updated_at": rec.updated_at}
                for name, rec in sorted((doc.pods if doc else {}).items())]
        unmanaged = [{"pod": name, "id": pod_id}
                     for pod_id, name in sorted((doc.unmanaged if doc else {}).items())]
        endpoints = [{"endpoint": name, "id": rec.id, "template_id": rec.template_id,
                      "version": rec.version, "healthy": rec.healthy, "urls": dict(rec.urls),
                      "created_at": rec.created_at, "updated_at": rec.updated_at}
                     for name, rec in sorted((doc.endpoints if doc else {}).items())]
        return dump({"stack": stack, "serial": doc.serial if doc else 0, "pods": pods,
                     "unmanaged": unmanaged, "endpoints": endpoints})
    return dump({"stack": stack,
                 "history": [vars(h) for h in doc.history] if doc else []})


def expired(holder: LockRecord, now: float) -> bool:
    """Past its Expires: the holder stopped refreshing it (crashed, or cut off)."""
    return holder.expires_epoch <= now


def lock_lines(stack: str, holder: LockRecord | None, detailed: bool,
               now: float = 0.0) -> list[str]:
    if holder is None:
        return [f"{stack}: not locked"]
    mark = (" [EXPIRED: the next run takes it over a minute after its expiry; or "
            "force-unlock its id]" if now and expired(holder, now) else "")
    if not detailed:
        return [f"{stack}: {holder.describe()}{mark}"]
    data: dict[str, Any] = json.loads(holder.to_json())
    return ([f"{stack}:" + mark] + [f"  {k}: {v}" for k, v in data.items() if v not in ("", 0)])


def locks_json(locks: Sequence[tuple[str, LockRecord | None]], now: float) -> str:
    """Every stack with its holder (the lock record's Terraform-style keys) or null."""
    return dump({"locks": [{"stack": stack, "locked": holder is not None,
                            "expired": holder is not None and expired(holder, now),
                            "holder": json.loads(holder.to_json()) if holder else None}
                           for stack, holder in locks]})
