"""What `schedule` did, as text and JSON."""

from __future__ import annotations

from collections.abc import Sequence

from gitops_runner.plan.schedule import ScheduleResult
from gitops_runner.report.jsonreport import dump


def schedule_json(results: Sequence[ScheduleResult]) -> str:
    return dump({"stacks": [{"stack": r.stack, "at": r.at, "error": r.error,
                             "events": [e.to_json() for e in r.events],
                             "idle": list(r.idle), "unlock_errors": list(r.unlock_errors),
                             "rehearsal": r.rehearsal}
                            for r in results]})


def schedule_text(results: Sequence[ScheduleResult]) -> str:
    lines = []
    for r in results:
        lines.append(f"Stack {r.stack} at {r.at}"
                     + (" (rehearsal: nothing is changed)" if r.rehearsal else ""))
        if r.error:
            lines.append(f"  failed: {r.error}")
            continue
        for e in r.events:
            verb = f"would {e.action}" if r.rehearsal else e.action
            lines.append(f"  {e.pod}: {verb}" + ("" if e.ok else " FAILED")
                         + f" ({e.reason})")
            if not e.ok:
                lines.append(f"      {e.detail}")
        lines.extend(f"  {line}" for line in r.idle)
        if not r.events:
            lines.append("  Nothing would start or stop." if r.rehearsal
                         else "  Nothing to start or stop.")
        lines.extend(f"  {e}" for e in r.unlock_errors)
    return "\n".join(lines)


def render_schedule(results: Sequence[ScheduleResult], fmt: str) -> str:
    return schedule_json(results) if fmt == "json" else schedule_text(results)
