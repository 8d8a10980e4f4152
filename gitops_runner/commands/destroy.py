"""destroy: terminate every managed pod of the stacks and empty their state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gitops_runner.config.model import Stack
from gitops_runner.engine.destroy import destroy_preview, destroy_stack
from gitops_runner.engine.session import RunPodAccess, Session
from gitops_runner.errors import GitopsError
from gitops_runner.plan.teardown import Doomed
from gitops_runner.report.apply import destroy_json


def run(session: Session, configs: Sequence[str],
        ask: Callable[[str], bool] | None = None, fmt: str = "text") -> int:
    stacks = session.stacks(configs)
    names = ", ".join(s.name for s in stacks)
    reports: list[dict[str, Any]] = []
    with session.runpod(stacks) as access:
        if ask is not None:
            # Data loss is named before anyone is asked (CONTRACT §4).
            _list_before_asking(session, stacks, access)
            if not ask(f"Terminate every pod of {names}?"):
                return 1
        for stack in stacks:
            doomed: list[Doomed] = []
            report: dict[str, Any] = {"stack": stack.name, "terminated": 0, "failures": [],
                                      "unlock_errors": [], "error": None, "pods": []}
            reports.append(report)
            # One stack's failure (lock held, state error) does not stop the others.
            try:
                report["terminated"], report["failures"] = destroy_stack(
                    session, stack, access, unlock_errors=report["unlock_errors"],
                    doomed=doomed)
            except GitopsError as exc:
                session.log(f"error: {stack.name}: {exc}")
                report["error"] = str(exc)
            report["pods"] = [d.to_json() for d in doomed]
            report["lines"] = [d.describe() for d in doomed]
    if fmt == "json":
        session.out.report(destroy_json([{k: v for k, v in r.items() if k != "lines"}
                                         for r in reports]))
    else:
        for r in reports:
            session.out.report(_line(r))
            for line in r["lines"]:
                session.out.report(f"  - {line}")
            for error in r["unlock_errors"]:
                session.out.report(f"  {r['stack']}: {error}")
    return 0 if all(not r["failures"] and not r["error"] for r in reports) else 1


def _list_before_asking(session: Session, stacks: Sequence[Stack],
                        access: RunPodAccess) -> None:
    for stack in stacks:
        try:
            found = destroy_preview(session, stack, access.client)
        except GitopsError as exc:
            session.log(f"{stack.name}: cannot list what it holds: {exc}")
            continue
        session.log(f"{stack.name}: {len(found.doomed)} pod(s) to terminate:")
        for doomed in found.doomed:
            session.log(f"  - {doomed.describe()}")


def _line(r: dict[str, Any]) -> str:
    if r["error"]:
        return f"{r['stack']}: failed: {r['error']}"
    if r["failures"]:
        return (f"{r['stack']}: {len(r['failures'])} pod(s) could not be terminated: "
                + "; ".join(r["failures"]))
    return f"{r['stack']}: {r['terminated']} pod(s) terminated, state emptied"
