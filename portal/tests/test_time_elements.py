"""<time datetime> values are valid HTML, and the demo outbox shows Moscow time (issue 6, points 11–12).

Django's «c» format and isoformat() write microseconds (six digits); HTML allows at most three, so
the validator refused every <time> on the inbox, the request timeline, the chat and the outbox. The
outbox printed the raw UTC ISO string («2026-12-01T05:10:00.123456+00:00») as its visible time.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.backends.sms import OutboxSmsBackend
from notifications.models import Notification
from portal.templatetags.portal_tags import html_datetime

pytestmark = pytest.mark.django_db

# HTML's «valid global date and time string» with an offset: fractions of a second 1–3 digits.
VALID = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:\d\d)$")


def _datetimes(html: str) -> list[str]:
    return re.findall(r'<time[^>]*\sdatetime="([^"]*)"', html)


def test_the_filter_gives_whole_seconds_in_moscow_time():
    moment = datetime.datetime(2026, 12, 1, 5, 10, 7, 123456, tzinfo=datetime.UTC)
    assert html_datetime(moment) == "2026-12-01T08:10:07+03:00"
    assert html_datetime("2026-12-01T05:10:07.123456+00:00") == "2026-12-01T08:10:07+03:00"
    assert html_datetime("") == "" and html_datetime("not a date") == ""


def test_inbox_and_bell_times_are_valid(client, citizen):
    Notification.objects.create(recipient=citizen, event="request_approved", title="Заявка одобрена", body="…")
    Notification.objects.filter(recipient=citizen).update(created_at=timezone.now().replace(microsecond=654321))
    client.force_login(citizen)
    values = _datetimes(client.get(reverse("notifications:inbox")).content.decode())
    values += _datetimes(client.get(reverse("notifications:bell")).content.decode())
    assert len(values) >= 2  # the inbox row and the bell's list
    assert all(VALID.match(value) for value in values), values


def test_dev_outbox_shows_moscow_time_in_a_valid_time_element(client, settings):
    settings.SHOW_DEV_OUTBOX = True
    OutboxSmsBackend().send("+79161234567", "Код для входа: 482913")
    sent = timezone.localtime()
    html = client.get(reverse("dev-outbox")).content.decode()
    (value,) = _datetimes(html)
    assert VALID.match(value), value
    assert value.endswith("+03:00")
    shown = re.search(r'<time datetime="[^"]*">([^<]*)</time>', html).group(1)
    assert shown.startswith(f"{sent:%d.%m.%Y %H:}") and shown.endswith("(мск)")
    assert "+00:00" not in shown
