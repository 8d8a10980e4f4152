"""What `schedule` did, as text and JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from gitops_runner.plan.schedule import ScheduleResult, parse_stamp
from gitops_runner.report.jsonreport import dump

# stack name -> the timezones its pods' schedules are written in
Zones = Mapping[str, Sequence[str]]


def local_times(at: str, zones: Sequence[str]) -> dict[str, str]:
    """`at` (RFC 3339 UTC) in each zone, RFC 3339 with the zone's offset."""
    moment: datetime = parse_stamp(at)
    return {zone: moment.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")
            for zone in zones}


def _when(at: str, zones: Sequence[str]) -> str:
    local = [f"{datetime.fromisoformat(t):%a %Y-%m-%d %H:%M} {zone}"
             for zone, t in local_times(at, zones).items()]
    return f"{', '.join(local)} ({at})" if local else at


def schedule_json(results: Sequence[ScheduleResult], zones: Zones | None = None) -> str:
    """`at` stays UTC; `at_local` gives it in each timezone the stack's schedules use."""
    zones = zones or {}
    return dump({"stacks": [{"stack": r.stack, "at": r.at,
                             "at_local": local_times(r.at, zones.get(r.stack, ())),
                             "error": r.error,
                             "events": [e.to_json() for e in r.events],
                             "idle": list(r.idle), "unlock_errors": list(r.unlock_errors),
                             "rehearsal": r.rehearsal}
                            for r in results]})


def schedule_text(results: Sequence[ScheduleResult], zones: Zones | None = None) -> str:
    """Times in the pods' own timezones, UTC in brackets."""
    zones = zones or {}
    lines = []
    for r in results:
        lines.append(f"Stack {r.stack} at {_when(r.at, zones.get(r.stack, ()))}"
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


def render_schedule(results: Sequence[ScheduleResult], fmt: str,
                    zones: Zones | None = None) -> str:
    return schedule_json(results, zones) if fmt == "json" else schedule_text(results, zones)
