"""lock list|show and force-unlock."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.engine import state_ops
from gitops_runner.engine.session import Session
from gitops_runner.github.api import GitHubClient, run_finished
from gitops_runner.report.state import lock_lines


def show(session: Session, configs: Sequence[str], detailed: bool) -> int:
    for stack in session.stacks(configs):
        _, locker = session.backend(stack)
        for line in lock_lines(stack.name, locker.holder(), detailed):
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

    session.out.report(state_ops.force_unlock(stacks, lockers, lock_id, check))
    return 0
