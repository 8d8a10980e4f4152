"""schedule: start and stop pods to match their running windows and idle stop (§11).

The GitHub Action's scheduled run calls `run` (before drift) for every stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gitops_runner.engine.clock import utcnow
from gitops_runner.engine.schedule import schedule_stacks
from gitops_runner.engine.session import Session
from gitops_runner.errors import UsageError
from gitops_runner.report.schedule import render_schedule


def parse_at(text: str) -> datetime:
    """--at TIME: RFC 3339 with a UTC offset (or Z), e.g. 2026-12-04T20:05:00+01:00."""
    try:
        at = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise UsageError(f"--at: '{text}' is not an RFC 3339 time; write e.g. "
                         "2026-12-04T20:05:00+01:00 or 2026-12-04T19:05:00Z") from None
    if at.tzinfo is None:
        raise UsageError(f"--at: '{text}' has no UTC offset; add Z or +HH:MM")
    return at


def run(session: Session, configs: Sequence[str], at: str | datetime | None = None,
        start: Sequence[str] = (), fmt: str = "text") -> int:
    """0 when every start and stop went through, 1 on any failure."""
    stacks = session.stacks(configs)
    moment = parse_at(at) if isinstance(at, str) else (at or utcnow(session.clock))
    with session.runpod(stacks) as access:
        results = schedule_stacks(session, stacks, access, moment, start)
    zones = {str(s.name): sorted({p.schedule.timezone for p in s.pods if p.schedule is not None})
             for s in stacks}
    session.out.report(render_schedule(results, fmt, zones))
    return 1 if any(r.failed for r in results) else 0
