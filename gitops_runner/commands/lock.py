"""lock list|show and force-unlock."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine import state_ops
from gitops_runner.engine.session import Session
from gitops_runner.github.api import GitHubClient, run_finished
from gitops_runner.report.state import lock_lines, locks_json


def show(session: Session, configs: Sequence[str], detailed: bool, fmt: str = "text") -> int:
    # Leases are judged on the wall clock: other runners read them (docs/architecture.md).
    now = session.clock.time()
    locks = [(stack.name, session.backend(stack)[1].holder())
             for stack in session.stacks(configs)]
    if fmt == "json":
        session.out.report(locks_json(locks, now))
        return 0
    for stack, holder in locks:
        for line in lock_lines(stack, holder, detailed, now):
            session.out.report(line)
    return 0


def force_unlock(session: Session, configs: Sequence[str], lock_id: str,
                 if_run_finished: bool) -> int:
    stacks = session.stacks(configs)
    lockers = [session.backend(s)[1] for s in stacks]
    check = None
    if if_run_finished:
        gh = GitHubClient(session.github_api_url, session.github_token)

        def check(url: str) -> tuple[bool, str]:
            return run_finished(gh, url)

    stack, holder = state_ops.force_unlock(stacks, lockers, lock_id, check)
    session.out.report(f"{stack.name}: lock {lock_id} removed")
    state_ops.record_force_unlock(session, stack, holder)
    return 0
