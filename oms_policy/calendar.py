"""The Russian working-day calendar (five-day week): public holidays and moved days, kept as data.

Sources: Трудовой кодекс РФ, ст. 112 (the holidays) and the government's yearly resolutions on
moving days off: 2025 — от 04.10.2024 № 1335; 2026 — от 24.09.2025 № 1466; 2027 — от 17.09.2026
№ 1187. A new year is added here as soon as its resolution is published (one dict entry per year);
a date outside the known years counts weekends and the fixed holidays of art. 112 only.
"""

from __future__ import annotations

import datetime

# Art. 112: 1–8 January, 23 February, 8 March, 1 and 9 May, 12 June, 4 November.
FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    *((1, day) for day in range(1, 9)),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
)

# Weekdays that are days off because a holiday fell on a weekend (or by the year's resolution).
MOVED_DAYS_OFF: dict[int, tuple[str, ...]] = {
    2025: ("2025-05-02", "2025-05-08", "2025-06-13", "2025-11-03", "2025-12-31"),
    2026: ("2026-01-09", "2026-03-09", "2026-05-11", "2026-12-31"),
    2027: ("2027-02-22", "2027-05-03", "2027-05-10", "2027-06-14", "2027-11-05", "2027-12-31"),
}

# Saturdays and Sundays that are working days by the year's resolution.
MOVED_WORKING_DAYS: dict[int, tuple[str, ...]] = {
    2025: ("2025-11-01",),
    2026: (),
    2027: ("2027-02-20",),
}

KNOWN_YEARS = frozenset(MOVED_DAYS_OFF)


def _dates(values) -> frozenset[datetime.date]:
    return frozenset(datetime.date.fromisoformat(value) for group in values for value in group)


_DAYS_OFF = _dates(MOVED_DAYS_OFF.values())
_WORKING_DAYS = _dates(MOVED_WORKING_DAYS.values())


def is_working_day(day: datetime.date) -> bool:
    if day in _WORKING_DAYS:
        return True
    if day in _DAYS_OFF or (day.month, day.day) in FIXED_HOLIDAYS:
        return False
    return day.weekday() < 5


def working_days_add(*, start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (`start` itself is not counted).

    A request sent on Friday evening with a 5-day period is due on the next Friday; one sent on
    30 December 2025 is due on 16 January 2026 (31 December to 11 January are days off).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(*, start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not later)."""
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day)
    return count


def working_days_before(*, day: datetime.date, count: int) -> datetime.date:
    """The date `count` working days before `day` (public holidays and moved days counted)."""
    while count > 0:
        day -= datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
