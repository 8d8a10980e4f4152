"""Running windows (CONTRACT §11): a small, strict grammar and what it means in time.

A window is `DAYS START-END`:

- DAYS: `daily`, one day (`Mon` .. `Sun`) or a range (`Mon-Fri`; `Fri-Mon` wraps the week);
- START and END: `HH:MM`, 00:00 to 23:59; END may also be `24:00`;
- an END before its START runs past midnight: `Fri 22:00-02:00` opens Friday 22:00 and
  closes Saturday 02:00.

Windows are wall-clock times in the schedule's IANA timezone, so a DST change moves them
with local time (a `Mon-Fri 08:00-20:00` pod starts at 08:00 local all year). Pure: the
moment to judge is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
_WINDOW = re.compile(r"(?P<days>[A-Za-z]+(?:-[A-Za-z]+)?) (?P<start>\d\d:\d\d)-(?P<end>\d\d:\d\d)")
EXAMPLES = "'Mon-Fri 08:00-20:00', 'Sat 10:00-14:00', 'daily 00:00-24:00' or 'Fri 22:00-02:00'"


class WindowError(ValueError):
    """A window that does not follow the grammar; the message says what to write."""


@dataclass(frozen=True)
class Window:
    days: tuple[int, ...]  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # minutes after midnight (1440 = 24:00); before start means the next day

    def minutes(self) -> list[tuple[int, int]]:
        """Half-open [from, to) minute-of-week spans; `to` may pass the week's end."""
        length = (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        return [(d * MINUTES_PER_DAY + self.start, d * MINUTES_PER_DAY + self.start + length)
                for d in self.days]


def _day(text: str) -> int:
    if text not in DAYS:
        raise WindowError(f"unknown day '{text}'; days are {', '.join(DAYS)} (or 'daily')")
    return DAYS.index(text)


def _time(text: str, end: bool) -> int:
    hours, minutes = int(text[:2]), int(text[3:])
    if end and (hours, minutes) == (24, 0):
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise WindowError(f"'{text}' is not a time of day (00:00 to 23:59"
                          + (", or 24:00 as an end)" if end else ")"))
    return hours * 60 + minutes


def parse_window(text: str) -> Window:
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise WindowError(f"'{text}' is not a running window; write DAYS HH:MM-HH:MM, e.g. "
                          f"{EXAMPLES}")
    days_text = match["days"]
    if days_text == "daily":
        days = tuple(range(7))
    elif "-" in days_text:
        first, last = (_day(d) for d in days_text.split("-"))
        if first == last:
            raise WindowError(f"'{days_text}' is a range of one day; write '{DAYS[first]}'")
        days = tuple((first + i) % 7 for i in range((last - first) % 7 + 1))
    else:
        days = (_day(days_text),)
    start, end = _time(match["start"], end=False), _time(match["end"], end=True)
    if start == end:
        raise WindowError(f"'{text}' opens and closes at the same time; for a whole day "
                          "write 00:00-24:00")
    return Window(days, start, end)


def timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(f"'{name}' is not an IANA timezone (e.g. Europe/Paris, "
                          "America/New_York, UTC)") from None


@lru_cache(maxsize=256)
def _open_minutes(windows: tuple[str, ...]) -> tuple[bool, ...]:
    open_at = [False] * MINUTES_PER_WEEK
    for text in windows:
        for start, stop in parse_window(text).minutes():
            for minute in range(start, stop):
                open_at[minute % MINUTES_PER_WEEK] = True
    return tuple(open_at)


def _minute_of_week(local: datetime) -> int:
    return local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute


@dataclass(frozen=True)
class Schedule:
    """Running windows in a timezone; judged at aware datetimes."""

    timezone: str
    running: tuple[str, ...]
    # What schedule does when a start finds no GPU on the pod's host (CONTRACT §11):
    # "report" (default) or "recreate" (terminate and create afresh; no pod volume).
    on_no_gpu: str = "report"

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(timezone(self.timezone))
        return _open_minutes(self.running)[_minute_of_week(local)]

    def opened_at(self, at: datetime) -> datetime | None:
        """When the window open at `at` opened (None: closed now, or open all week)."""
        minutes = _open_minutes(self.running)
        local = at.astimezone(timezone(self.timezone))
        now = _minute_of_week(local)
        if not minutes[now]:
            return None
        back = 0
        while back < MINUTES_PER_WEEK and minutes[(now - back - 1) % MINUTES_PER_WEEK]:
            back += 1
        if back >= MINUTES_PER_WEEK:
            return None
        # Wall-clock arithmetic, then back to an aware time: right across DST changes.
        wall = local.replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=back)
        return wall.replace(tzinfo=local.tzinfo)

    def next_change(self, at: datetime) -> datetime | None:
        """When the window next opens (closed now) or closes (open now), in the schedule's
        timezone; None when it never changes (open all week, or never)."""
        minutes = _open_minutes(self.running)
        local = at.astimezone(timezone(self.timezone))
        now = _minute_of_week(local)
        for ahead in range(1, MINUTES_PER_WEEK):
            if minutes[(now + ahead) % MINUTES_PER_WEEK] != minutes[now]:
                # Wall-clock arithmetic, then back to an aware time (as opened_at).
                wall = local.replace(tzinfo=None, second=0, microsecond=0) + timedelta(
                    minutes=ahead)
                return wall.replace(tzinfo=local.tzinfo)
        return None

    def weekly_hours(self) -> float:
        return sum(_open_minutes(self.running)) / 60

    def describe(self) -> str:
        return f"{', '.join(self.running)} {self.timezone}"


def check_windows(windows: Sequence[str]) -> list[tuple[int, str]]:
    """(index, message) for each window that breaks the grammar."""
    problems = []
    for i, text in enumerate(windows):
        try:
            parse_window(text)
        except WindowError as exc:
            problems.append((i, str(exc)))
    return problems
