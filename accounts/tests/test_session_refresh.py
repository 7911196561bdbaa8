"""The idle timeout without a session write per request (accounts.middleware.SessionRefreshMiddleware)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests import login_support
from accounts.tests.login_support import full_login

pytestmark = pytest.mark.django_db
clock = login_support.clock  # the fixture: moves timezone.now()


def session_writes(context: CaptureQueriesContext) -> int:
    return sum(1 for query in context.captured_queries if query["sql"].startswith('UPDATE "django_session"'))


def expiry(client) -> object:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_pages_within_the_refresh_interval_write_no_session(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    saved = expiry(client)
    clock.advance(seconds=59)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cabinet")).status_code == 200
        assert client.get(reverse("notifications:inbox")).status_code == 200
    assert session_writes(queries) == 0
    assert expiry(client) == saved


def test_a_page_after_the_refresh_interval_moves_the_expiry(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    saved = expiry(client)
    clock.advance(seconds=60)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cabinet")).status_code == 200
    assert session_writes(queries) == 1
    assert (expiry(client) - saved).total_seconds() == pytest.approx(60, abs=1)


def test_an_active_citizen_stays_logged_in_and_an_idle_one_is_logged_out(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    for _ in range(6):  # an hour of pages, ten minutes apart: past the 30-minute idle timeout twice
        clock.advance(minutes=10)
        assert client.get(reverse("cabinet")).status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get(reverse("cabinet"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_keepalive_saves_at_once(client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    saved = expiry(client)
    clock.advance(seconds=5)
    assert client.post(reverse("accounts:session_keepalive")).json() == {"active": True, "idle_seconds": 1800}
    assert (expiry(client) - saved).total_seconds() == pytest.approx(5, abs=1)


def test_anonymous_visitors_get_no_session(client):
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.count() == 0


def test_an_expired_session_cookie_makes_no_new_session(client, settings):
    client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session-key-0123456789"
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.count() == 0


def test_dialog_counts_from_the_earliest_possible_end(client, citizen):
    client.force_login(citizen)
    page = client.get(reverse("cabinet")).content.decode()
    assert 'data-idle-seconds="1740"' in page  # 30 minutes less the 60-second refresh interval
