"""schedule: start and stop pods to match their running windows and idle stop (§11).

The GitHub Action's scheduled run calls `run` (before drift) for every stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gitops_runner.engine.clock import parse_rfc3339
from gitops_runner.engine.schedule import rehearse_stacks, schedule_stacks
from gitops_runner.engine.session import Session
from gitops_runner.report.schedule import render_schedule


def parse_at(text: str) -> datetime:
    """--at TIME: RFC 3339 with a UTC offset (or Z), e.g. 2026-12-04T20:05:00+01:00."""
    return parse_rfc3339(text, "--at")


def run(session: Session, configs: Sequence[str], at: str | datetime | None = None,
        start: Sequence[str] = (), fmt: str = "text") -> int:
    """0 when every start and stop went through, 1 on any failure. With --at TIME, a
    rehearsal: what would happen at TIME, and nothing is changed (CONTRACT §11)."""
    stacks = session.stacks(configs)
    if at is None:  # a rehearsal (--at) writes nothing, so it may run anywhere
        session.check_state_survives(stacks, "schedule")
    with session.runpod(stacks) as access:
        if at is None:
            results = schedule_stacks(session, stacks, access, session.now(), start)
        else:
            moment = parse_at(at) if isinstance(at, str) else at
            results = rehearse_stacks(session, stacks, access, moment, start)
    zones = {str(s.name): sorted({p.schedule.timezone for p in s.pods if p.schedule is not None})
             for s in stacks}
    session.out.report(render_schedule(results, fmt, zones))
    return 1 if any(r.failed for r in results) else 0
