"""State and lock records as text lines."""

from __future__ import annotations

import json
from typing import Any, Protocol

from gitops_runner.plan.statefile import StateDoc, render_state


class LockRecord(Protocol):
    """What a lock holder shows (state.base.LockInfo is one)."""

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
                for name, rec in sorted(doc.pods.items())]
    return [f"{h.when}\t{h.who}\t{h.operation}\t{h.result}\t{h.fingerprint[:12]}"
            for h in doc.history]


def lock_lines(stack: str, holder: LockRecord | None, detailed: bool) -> list[str]:
    if holder is None:
        return [f"{stack}: not locked"]
    if not detailed:
        return [f"{stack}: {holder.describe()}"]
    data: dict[str, Any] = json.loads(holder.to_json())
    return [f"{stack}:"] + [f"  {k}: {v}" for k, v in data.items() if v not in ("", 0)]
