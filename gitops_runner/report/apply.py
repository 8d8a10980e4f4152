"""What apply and destroy did, as JSON (text is ApplyResult.summary and one line a stack)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from gitops_runner.report.jsonreport import dump

COUNTED = ("create", "update", "replace", "delete", "adopt", "start", "stop")


class OutcomeView(Protocol):
    pod: str
    action: str
    ok: bool
    detail: str
    gpu: str | None
    pod_id: str | None
    data_center: str | None
    stopped_after: bool


class EndpointOutcomeView(Protocol):
    endpoint: str

    def to_json(self) -> dict[str, Any]: ...


class ApplyView(Protocol):
    """What an apply report shows (engine.apply.ApplyResult is one)."""

    stack: str
    converged: bool
    refused: bool
    unchanged: int
    cost_now: float
    violations: tuple[str, ...]
    fingerprint: str
    stopped: str
    unlock_errors: list[str]

    @property
    def outcomes(self) -> Sequence[OutcomeView]: ...

    @property
    def endpoint_outcomes(self) -> Sequence[EndpointOutcomeView]: ...

    def count(self, action: str) -> int: ...

    @property
    def failed(self) -> Sequence[OutcomeView]: ...


def pod_json(o: OutcomeView) -> dict[str, Any]:
    return {"pod": o.pod, "action": o.action, "pod_id": o.pod_id, "gpu": o.gpu,
            "data_center": o.data_center, "ok": o.ok, "stopped_after": o.stopped_after,
            "detail": o.detail}


def pod_line(o: OutcomeView) -> str:
    """One pod acted on, as the text report lists it."""
    where = " ".join(x for x in (o.pod_id and f"pod {o.pod_id}", o.gpu and f"on {o.gpu}",
                                  o.data_center and f"in {o.data_center}") if x)
    return (f"  {o.pod}: {o.action}" + (" + stop" if o.stopped_after else "")
            + (f" ({where})" if where else "") + ("" if o.ok else f" FAILED: {o.detail}"))


def apply_stack_json(result: ApplyView) -> dict[str, Any]:
    return {"stack": result.stack, "converged": result.converged, "refused": result.refused,
            "fingerprint": result.fingerprint,
            "pods": [pod_json(o) for o in result.outcomes],
            "done": {kind: result.count(kind) for kind in COUNTED},
            "unchanged": result.unchanged,
            "failed": [{"pod": o.pod, "action": o.action, "detail": o.detail}
                       for o in result.failed],
            "cost_per_hour": result.cost_now, "guardrail_violations": list(result.violations),
            "stopped": result.stopped or None, "unlock_errors": list(result.unlock_errors),
            "error": None,
            # Serverless endpoints acted on, with their request URLs (CONTRACT §14).
            "endpoints": [o.to_json() for o in result.endpoint_outcomes]}


def apply_json(results: Sequence[ApplyView], errors: Sequence[tuple[str, str]]) -> str:
    """`errors`: (stack, message) for stacks that failed before a result (lock held...)."""
    stacks = [apply_stack_json(r) for r in results]
    stacks += [{"stack": stack, "converged": False, "refused": False, "fingerprint": "",
                "pods": [], "done": dict.fromkeys(COUNTED, 0), "unchanged": 0, "failed": [],
                "cost_per_hour": 0.0, "guardrail_violations": [], "stopped": None,
                "unlock_errors": [], "error": message, "endpoints": []}
               for stack, message in errors]
    return dump({"converged": not errors and all(r.converged for r in results),
                 "stacks": stacks})


def destroy_json(stacks: Sequence[dict[str, Any]]) -> str:
    """Each: {stack, terminated, failures[], unlock_errors[], error}."""
    return dump({"ok": all(not s["failures"] and not s["error"] for s in stacks),
                 "stacks": list(stacks)})
