"""Operators' working hours for the chat (SUPPORT_HOURS, SUPPORT_DAYS; Moscow time)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

MOSCOW = ZoneInfo("Europe/Moscow")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class SupportHours:
    opens: datetime.time
    closes: datetime.time
    days: frozenset[int]  # ISO weekdays, 1 = Monday


def support_hours_parse(*, hours: str, days: list[str]) -> SupportHours:
    """Read the two settings; a bad value raises ImproperlyConfigured naming the variable."""
    match = _HOURS.match(hours.strip())
    if not match:
        raise ImproperlyConfigured(f"SUPPORT_HOURS: expected HH:MM-HH:MM (Moscow time), got {hours!r}.")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    opens, closes = datetime.time(h1, m1), datetime.time(h2, m2)
    if opens >= closes:
        raise ImproperlyConfigured(f"SUPPORT_HOURS: the start must be before the end, got {hours!r}.")
    bad_days = ImproperlyConfigured(f"SUPPORT_DAYS: expected ISO weekdays 1-7 separated by commas, got {days!r}.")
    try:
        day_numbers = frozenset(int(day) for day in days)
    except ValueError:
        raise bad_days from None
    if not day_numbers or not day_numbers <= set(range(1, 8)):
        raise bad_days
    return SupportHours(opens=opens, closes=closes, days=day_numbers)


def support_hours() -> SupportHours:
    return support_hours_parse(hours=settings.SUPPORT_HOURS, days=settings.SUPPORT_DAYS)


def support_hours_check() -> None:
    """Called at start-up (SupportConfig.ready) so a bad setting stops the process at once."""
    support_hours()


def _now() -> datetime.datetime:
    return timezone.now()  # a seam for tests that need a given hour


def support_is_open(*, at: datetime.datetime | None = None) -> bool:
    hours = support_hours()
    local = timezone.localtime(at or _now(), MOSCOW)
    return local.isoweekday() in hours.days and hours.opens <= local.time() < hours.closes


def support_next_opening(*, at: datetime.datetime | None = None) -> datetime.datetime:
    """When operators are next at work (Moscow time); `at` itself when they are at work now."""
    at = at or _now()
    if support_is_open(at=at):
        return at
    hours = support_hours()
    local = timezone.localtime(at, MOSCOW)
    for days_ahead in range(8):
        day = local.date() + datetime.timedelta(days=days_ahead)
        if day.isoweekday() not in hours.days:
            continue
        opening = datetime.datetime.combine(day, hours.opens, tzinfo=MOSCOW)
        if opening > local:
            return opening
    raise AssertionError("SUPPORT_DAYS names at least one weekday")  # support_hours_parse guarantees it
