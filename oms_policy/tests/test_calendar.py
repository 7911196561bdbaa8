"""The Russian working-day calendar: New Year and May holidays, moved days, the review deadline."""

from __future__ import annotations

import datetime

import pytest

from oms_policy.calendar import is_working_day, working_days_add, working_days_between

D = datetime.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 12, 30), True),
        (D(2025, 12, 31), False),  # moved from Sunday 5 January 2025
        (D(2026, 1, 1), False),
        (D(2026, 1, 8), False),
        (D(2026, 1, 9), False),  # moved from Saturday 3 January 2026
        (D(2026, 1, 12), True),
        (D(2025, 11, 1), True),  # a working Saturday in 2025
        (D(2025, 11, 3), False),
        (D(2025, 5, 2), False),
        (D(2025, 5, 8), False),
        (D(2025, 5, 12), True),
        (D(2026, 5, 11), False),  # 9 May 2026 is a Saturday: Monday is off
        (D(2026, 3, 9), False),
        (D(2027, 2, 20), True),  # a working Saturday in 2027
        (D(2027, 2, 22), False),
        (D(2027, 5, 3), False),
        (D(2027, 5, 10), False),
        (D(2026, 12, 1), True),
        (D(2026, 12, 5), False),
    ],
)
def test_known_days(day, working):
    assert is_working_day(day) is working


def test_five_working_days_across_new_year_2026():
    # Sent on Tuesday 30 December 2025: 31 December – 11 January are days off.
    assert working_days_add(start=D(2025, 12, 30), days=5) == D(2026, 1, 16)


def test_five_working_days_across_new_year_2027():
    # Tuesday 29 December 2026: the 30th works (1), 31 December (moved) and 1–10 January 2027 are
    # off, then 11–14 January (2–5).
    assert working_days_add(start=D(2026, 12, 29), days=5) == D(2027, 1, 14)


def test_five_working_days_across_may_holidays_2025():
    # Wednesday 30 April 2025: 1–4 and 8–11 May off, 5–7 May working.
    assert working_days_add(start=D(2025, 4, 30), days=5) == D(2025, 5, 13)


def test_five_working_days_across_may_holidays_2026():
    # Thursday 30 April 2026: 1–3 May and 9–11 May off.
    assert working_days_add(start=D(2026, 4, 30), days=5) == D(2026, 5, 8)


def test_a_friday_request_is_due_next_friday_and_a_saturday_counts_from_monday():
    assert working_days_add(start=D(2026, 12, 4), days=5) == D(2026, 12, 11)
    assert working_days_add(start=D(2026, 12, 5), days=5) == D(2026, 12, 11)


def test_working_days_between():
    assert working_days_between(start=D(2025, 12, 30), end=D(2026, 1, 16)) == 5
    assert working_days_between(start=D(2026, 1, 16), end=D(2026, 1, 16)) == 0


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        working_days_add(start=D(2026, 1, 1), days=-1)
