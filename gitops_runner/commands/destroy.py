"""destroy: terminate every managed pod of the stacks and empty their state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gitops_runner.engine.destroy import Destroyed, preview_destroy, run_destroy
from gitops_runner.engine.session import Session
from gitops_runner.errors import GitopsError
from gitops_runner.report.apply import destroy_json


def run(session: Session, configs: Sequence[str],
        ask: Callable[[str], bool] | None = None, fmt: str = "text") -> int:
    stacks = session.stacks(configs)
    session.check_state_survives(stacks, "destroy")
    names = ", ".join(s.name for s in stacks)
    reports: list[dict[str, Any]] = []
    with session.runpod(stacks) as access:
        if ask is not None:
            # Every pod (and the volume that goes with it) is named before the question.
            show = session.out.report if fmt == "text" else session.log
            for stack in stacks:
                try:
                    show(_listing(preview_destroy(session, stack, access.client)))
                except GitopsError as exc:
                    show(f"{stack.name}: cannot list its pods: {exc}")
            what = ("every pod and serverless endpoint" if any(s.endpoints for s in stacks)
                    else "every pod")
            if not ask(f"Terminate {what} of {names}?"):
                return 1
        for stack in stacks:
            report: dict[str, Any] = {"stack": stack.name, "terminated": 0, "failures": [],
                                      "unlock_errors": [], "error": None, "pods": [],
                                      "volumes_deleted": [], "endpoints_deleted": []}
            reports.append(report)
            # One stack's failure (lock held, state error) does not stop the others.
            try:
                done = run_destroy(session, stack, access,
                                   unlock_errors=report["unlock_errors"])
            except GitopsError as exc:
                session.log(f"error: {stack.name}: {exc}")
                report["error"] = str(exc)
                continue
            report["terminated"], report["failures"] = done.terminated, done.failures
            report["pods"] = _pods(done)
            report["volumes_deleted"] = done.volumes_deleted  # CONTRACT §14
            report["endpoints_deleted"] = list(done.endpoints_deleted)
    if fmt == "json":
        session.out.report(destroy_json(reports))
    else:
        for r in reports:
            session.out.report(_line(r))
            for pod in r["pods"]:
                session.out.report(f"  - {pod['text']}")
            for error in r["unlock_errors"]:
                session.out.report(f"  {r['stack']}: {error}")
    return 0 if all(not r["failures"] and not r["error"] for r in reports) else 1


def _listing(plan: Destroyed) -> str:
    volumes = [f"{plan.stack}: will delete {v}" for v in (*plan.endpoints, *plan.volumes)]
    if not plan.targets:
        return "\n".join([f"{plan.stack}: no pod to terminate", *volumes])
    return "\n".join([f"{plan.stack}: will terminate {len(plan.targets)} pod(s); their "
                      "pod volumes are destroyed with them:"]
                     + [f"  - {t.describe()}" for t in plan.targets]
                     + [f"  ({line.split(': ', 1)[1]})" for line in plan.left_alone]
                     + volumes)


def _pods(done: Destroyed) -> list[dict[str, Any]]:
    failed = {f.split(":", 1)[0] for f in done.failures}
    return [{"pod": t.pod, "pod_id": t.pod_id, "volume": t.volume or None,
             "terminated": t.pod_id not in failed,
             "text": ("terminated " if t.pod_id not in failed else "NOT terminated ")
             + t.describe()} for t in done.targets]


def _line(r: dict[str, Any]) -> str:
    if r["error"]:  # said on stderr as it happened; not twice
        return f"{r['stack']}: failed (the error is on stderr)"
    if r["failures"]:
        return (f"{r['stack']}: {len(r['failures'])} pod(s) could not be terminated: "
                + "; ".join(r["failures"]))
    volumes = "".join(f", network volume {v['name']} deleted (destroys {v['size_gb']} GB in "
                      f"{v['data_center']})" for v in r.get("volumes_deleted", []))
    endpoints = (f", {len(r['endpoints_deleted'])} endpoint(s) deleted"
                 if r.get("endpoints_deleted") else "")
    return (f"{r['stack']}: {r['terminated']} pod(s) terminated{volumes}{endpoints}, "
            "state emptied")
