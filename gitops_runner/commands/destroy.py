"""destroy: terminate every managed pod of the stacks and empty their state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.destroy import destroy_stack
from gitops_runner.engine.observe import read_state
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError
from gitops_runner.report.apply import destroy_json


def run(session: Session, configs: Sequence[str],
        ask: Callable[[str], bool] | None = None, fmt: str = "text") -> int:
    stacks = session.stacks(configs)
    names = ", ".join(s.name for s in stacks)
    if ask is not None and not ask(f"Terminate every pod of {names}?"
                                   + _volumes_warning(session, stacks)):
        return 1
    reports: list[dict[str, Any]] = []
    with session.runpod(stacks) as access:
        for stack in stacks:
            report: dict[str, Any] = {"stack": stack.name, "terminated": 0, "failures": [],
                                      "unlock_errors": [], "error": None,
                                      "volumes_deleted": []}
            reports.append(report)
            # One stack's failure (lock held, state error) does not stop the others.
            try:
                report["terminated"], report["failures"] = destroy_stack(
                    session, stack, access, unlock_errors=report["unlock_errors"],
                    volumes_deleted=report["volumes_deleted"])
            except GitopsError as exc:
                session.log(f"error: {stack.name}: {exc}")
                report["error"] = str(exc)
    if fmt == "json":
        session.out.report(destroy_json(reports))
    else:
        for r in reports:
            session.out.report(_line(r))
            for error in r["unlock_errors"]:
                session.out.report(f"  {r['stack']}: {error}")
    return 0 if all(not r["failures"] and not r["error"] for r in reports) else 1


def _line(r: dict[str, Any]) -> str:
    if r["error"]:
        return f"{r['stack']}: failed: {r['error']}"
    if r["failures"]:
        return (f"{r['stack']}: {len(r['failures'])} pod(s) could not be terminated: "
                + "; ".join(r["failures"]))
    volumes = "".join(f", network volume {v['name']} deleted (destroys {v['size_gb']} GB in "
                      f"{v['data_center']})" for v in r["volumes_deleted"])
    return f"{r['stack']}: {r['terminated']} pod(s) terminated{volumes}, state emptied"


def _volumes_warning(session: Session, stacks: Sequence[Stack]) -> str:
    """destroy lists the network volumes it will delete before asking (CONTRACT §4)."""
    lines = [f"\n  {stack.name}: deletes network volume {name} ({rec.size_gb} GB in "
             f"{rec.data_center}) and its data"
             for stack in stacks for name, rec in sorted(read_state(session, stack)[0]
                                                         .volumes.items())]
    return "".join(lines) + ("\n" if lines else "")
