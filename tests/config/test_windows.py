"""The running-window grammar and what it means in time (CONTRACT §11)."""

from __future__ import annotations

import tomllib
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitops_runner.config.windows import Schedule, WindowError, parse_window, timezone

PARIS = "Europe/Paris"


@pytest.mark.parametrize(("text", "days", "start", "end"), [
    ("Mon-Fri 08:00-20:00", (0, 1, 2, 3, 4), 480, 1200),
    ("Sat 10:00-14:00", (5,), 600, 840),
    ("daily 00:00-24:00", (0, 1, 2, 3, 4, 5, 6), 0, 1440),
    ("Fri 22:00-02:00", (4,), 1320, 120),
    ("Fri-Mon 09:00-10:00", (4, 5, 6, 0), 540, 600),
])
def test_parse_window_valid_forms(text: str, days: tuple[int, ...], start: int, end: int) -> None:
    w = parse_window(text)
    assert (w.days, w.start, w.end) == (days, start, end)


@pytest.mark.parametrize(("text", "message"), [
    ("Mon-Fri 8:00-20:00", "is not a running window; write DAYS HH:MM-HH:MM"),
    ("mon 08:00-20:00", "unknown day 'mon'"),
    ("Weekdays 08:00-20:00", "unknown day 'Weekdays'"),
    ("Mon-Mon 08:00-09:00", "a range of one day"),
    ("Mon 24:00-02:00", "'24:00' is not a time of day (00:00 to 23:59)"),
    ("Mon 08:00-24:30", "'24:30' is not a time of day"),
    ("Mon 08:60-09:00", "'08:60' is not a time of day"),
    ("Mon 10:00-10:00", "opens and closes at the same time"),
    ("Mon  08:00-20:00", "is not a running window"),
    ("Mon 08:00-20:00\n", "is not a running window"),
])
def test_parse_window_invalid_says_what_to_write(text: str, message: str) -> None:
    with pytest.raises(WindowError, match=None) as err:
        parse_window(text)
    assert message in str(err.value)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(("moment", "is_open"), [
    ("2026-12-04T07:59:00+01:00", False),  # Friday, before the window
    ("2026-12-04T08:00:00+01:00", True),
    ("2026-12-04T19:59:00+01:00", True),
    ("2026-12-04T20:00:00+01:00", False),  # the end is exclusive
    ("2026-12-05T12:00:00+01:00", False),  # Saturday
    # Summer time: the window follows local time, so it opens at 06:00 UTC.
    ("2026-07-06T06:30:00+00:00", True),
    ("2026-07-06T18:30:00+00:00", False),
])
def test_schedule_is_open_in_local_time(moment: str, is_open: bool) -> None:
    assert Schedule(PARIS, ("Mon-Fri 08:00-20:00",)).is_open(utc(moment)) is is_open


@pytest.mark.parametrize(("moment", "is_open"), [
    ("2026-12-04T21:59:00+01:00", False),
    ("2026-12-04T22:00:00+01:00", True),   # Friday 22:00 opens
    ("2026-12-05T01:59:00+01:00", True),   # still open after midnight, on Saturday
    ("2026-12-05T02:00:00+01:00", False),  # closes Saturday 02:00
    ("2026-12-06T01:00:00+01:00", False),  # Sunday: no window on Saturday night
])
def test_schedule_window_crossing_midnight(moment: str, is_open: bool) -> None:
    assert Schedule(PARIS, ("Fri 22:00-02:00",)).is_open(utc(moment)) is is_open


def test_schedule_sunday_night_wraps_to_monday() -> None:
    s = Schedule("UTC", ("Sun 23:00-01:00",))
    assert s.is_open(utc("2026-12-07T00:30:00+00:00"))  # Monday 00:30
    assert s.weekly_hours() == 2


def test_schedule_weekly_hours_merges_overlaps() -> None:
    assert Schedule(PARIS, ("Mon-Fri 08:00-20:00",)).weekly_hours() == 60
    assert Schedule(PARIS, ("Mon-Fri 08:00-20:00", "Mon 10:00-22:00")).weekly_hours() == 62
    assert Schedule(PARIS, ("daily 00:00-24:00",)).weekly_hours() == 168


def test_schedule_opened_at_is_the_window_start_across_a_dst_change() -> None:
    # Paris leaves summer time on Sunday 2026-10-25 at 03:00 -> 02:00.
    s = Schedule(PARIS, ("Sat 22:00-06:00",))
    opened = s.opened_at(utc("2026-10-25T05:00:00+01:00"))
    assert opened is not None and opened.astimezone(UTC) == utc("2026-10-24T22:00:00+02:00")
    assert s.opened_at(utc("2026-10-25T07:00:00+01:00")) is None  # closed
    assert Schedule(PARIS, ("daily 00:00-24:00",)).opened_at(utc("2026-10-25T07:00:00Z")) is None


def test_schedule_next_change_in_local_time_across_dst() -> None:
    paris = Schedule("Europe/Paris", ("Mon-Fri 08:00-20:00",))
    # Friday 2026-03-27 21:00 UTC (22:00 CET): next opening Monday 08:00, after the
    # Sunday DST change, so 08:00 CEST = 06:00 UTC.
    change = paris.next_change(utc("2026-03-27T21:00:00Z"))
    assert change is not None and change.isoformat() == "2026-03-30T08:00:00+02:00"
    closing = paris.next_change(utc("2026-03-30T07:00:00Z"))  # open: closes 20:00 local
    assert closing is not None and closing.isoformat() == "2026-03-30T20:00:00+02:00"
    assert Schedule("UTC", ("daily 00:00-24:00",)).next_change(utc("2026-03-30T07:00:00Z")) \
        is None


def test_timezone_works_without_system_zone_data() -> None:
    """Slim images and Windows ship no /usr/share/zoneinfo; the `tzdata` dependency covers
    them (zoneinfo falls back to it), so a schedule's zone still resolves."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    assert any(d.split(">")[0].split("=")[0].strip() == "tzdata" for d in deps)
    saved = zoneinfo.TZPATH
    zoneinfo.reset_tzpath(to=())  # as if the system had no zone data at all
    zoneinfo.ZoneInfo.clear_cache()
    try:
        zone = timezone(PARIS)
        assert datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(zone).hour == 14
    finally:
        zoneinfo.reset_tzpath(to=saved)
        zoneinfo.ZoneInfo.clear_cache()
