"""`|date` (portal/templatetags/date_fast.py): Django's output, by strftime where that is the same."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as stock_date
from django.utils import timezone, translation

from portal.templatetags import date_fast

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
VALUES = [
    datetime.datetime(2026, 12, 1, 5, 7, 9, 123456, tzinfo=datetime.UTC),  # 08:07 in Moscow
    datetime.datetime(2026, 1, 31, 23, 59, 59, tzinfo=datetime.UTC),  # the next day in Moscow
    datetime.datetime(2027, 3, 4, 0, 0, tzinfo=MOSCOW),
    datetime.datetime(2026, 6, 1, 12, 30),  # naive
    datetime.date(1987, 2, 3),
    datetime.date(999, 2, 3),  # Django pads the year to four digits, strftime does not
]
FORMATS = ["d.m.Y", "d.m.Y H:i", "d.m H:i", "d.m.Y H:i:s", "H:i", "Y-m-d", "j E Y", "DATE_FORMAT", "N j, Y", ""]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_value_and_format_renders_as_djangos_filter(language):
    with translation.override(language), timezone.override(MOSCOW):
        for value in VALUES:
            for format_string in FORMATS:
                if (
                    isinstance(value, datetime.date)
                    and not isinstance(value, datetime.datetime)
                    and any(letter in format_string for letter in "His")
                ):
                    continue  # Django refuses time letters for a date (tested below)
                ours = Template("{{ value|date:fmt }}").render(Context({"value": value, "fmt": format_string}))
                aware = isinstance(value, datetime.datetime) and timezone.is_aware(value)
                local = timezone.localtime(value) if aware else value
                assert ours == str(stock_date(local, format_string or None)), (value, format_string)


def test_a_time_format_on_a_plain_date_is_left_to_django():
    assert date_fast._pattern("d.m.Y H:i") == ("%d.%m.%Y %H:%M", True)
    assert date_fast._pattern("j E Y") is None
    with pytest.raises(TypeError):
        date_fast.date(datetime.date(2026, 1, 2), "d.m.Y H:i")


def test_empty_values_render_empty():
    assert Template("[{{ value|date:'d.m.Y' }}]").render(Context({"value": None})) == "[]"
    assert Template("[{{ value|date:'d.m.Y' }}]").render(Context({"value": ""})) == "[]"
