"""Issue 6 point 3: password reset answers alike, is rate-limited, and ends half-done logins."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.login.password_reset import password_reset_completed
from accounts.tests.login_support import code_step, full_login, last_sms_code, password_step
from accounts.tests.test_sessions import not_me_path
from notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db


def _ask(client, email: str, ip: str = "203.0.113.7"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_known_and_unknown_addresses_do_the_same_work_in_the_request(
    client, citizen, django_capture_on_commit_callbacks
):
    answers, query_counts, callback_counts = [], [], []
    for email in (citizen.email, "nobody@example.ru"):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
            response = _ask(Client(), email)
        answers.append(response["Location"])
        query_counts.append(len(queries))
        callback_counts.append(len(callbacks))
    assert answers == [reverse("accounts:password_reset_done")] * 2
    assert query_counts[0] == query_counts[1]
    assert callback_counts == [1, 1]
    # Nothing was written in the request: the task looks the address up and writes the outbox row.
    assert OutboundMessage.objects.count() == 0


def test_the_task_sends_the_link_for_a_known_address_only(client, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, citizen.email.upper())
        _ask(client, "nobody@example.ru")
    assert [message.to for message in mail.outbox] == [[citizen.email]]


def test_reset_emails_are_rate_limited_per_account_and_per_address(
    client, citizen, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT_PER_HOUR = 2
    settings.PASSWORD_RESET_LIMIT_PER_IP_PER_HOUR = 3
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(4):
            assert _ask(client, citizen.email, ip=f"198.51.100.{index}").status_code == 302
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(4):
            _ask(client, "other@example.ru", ip="198.51.100.50")
    assert len(callbacks) == 3


def test_a_reset_ends_a_login_already_past_the_password(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert password_step(client, citizen.email).status_code == 302
    code = last_sms_code(sms_outbox)
    password_reset_completed(user=citizen, request=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = code_step(client, code)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session


def test_not_me_ends_a_pending_login_and_works_once(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    path = not_me_path()
    intruder = Client()
    with django_capture_on_commit_callbacks(execute=True):
        password_step(intruder, citizen.email)
    code = last_sms_code(sms_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = code_step(intruder, code)
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in intruder.session
    # The link is spent: it neither asks again nor acts again.
    assert Client().get(path).status_code == 400
    assert Client().post(path).status_code == 400
