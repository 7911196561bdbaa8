"""Issue 6 point 8: e-mails stored lower-case (index lookups, a constraint); audit rows share the
transaction of the change they record."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.backends import user_find_by_login
from accounts.models import AuditEvent, User
from accounts.tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def test_emails_are_stored_lower_case_and_found_with_an_exact_lookup():
    user = CitizenFactory(email="Maria.Kuznetsova@Example.RU")
    user.refresh_from_db()
    assert user.email == "maria.kuznetsova@example.ru"
    with CaptureQueriesContext(connection) as queries:
        assert user_find_by_login("MARIA.KUZNETSOVA@example.ru") == user
    sql = queries.captured_queries[0]["sql"]
    assert "UPPER(" not in sql and "LIKE" not in sql
    assert '"accounts_user"."email" = \'maria.kuznetsova@example.ru\'' in sql


def test_the_database_refuses_an_upper_case_email():
    user = CitizenFactory()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET email = %s WHERE id = %s", ["Anna@Example.ru", user.pk])


def test_one_address_in_another_case_is_the_same_account():
    CitizenFactory(email="anna@example.ru")
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenFactory(email="ANNA@example.ru")


@pytest.fixture
def audit_breaks(monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("audit storage down")

    monkeypatch.setattr(AuditEvent.objects, "create", refuse)


def test_sessions_are_not_ended_without_their_audit_row(citizen, audit_breaks):
    from accounts.login.services import sessions_end_everywhere

    with pytest.raises(RuntimeError):
        sessions_end_everywhere(user=citizen, request=None, keep_current=False)
    citizen.refresh_from_db()
    assert citizen.sessions_valid_after is None


def test_a_factor_is_not_removed_without_its_audit_row(citizen, audit_breaks):
    from accounts.security.services import factor_remove

    device = TOTPDevice.objects.create(user=citizen, name="Приложение", confirmed=True)
    with pytest.raises(RuntimeError):
        factor_remove(user=citizen, persistent_id=device.persistent_id, request=None)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_password_reset_is_not_completed_without_its_audit_row(citizen, audit_breaks):
    from accounts.login.password_reset import password_reset_completed

    with pytest.raises(RuntimeError):
        password_reset_completed(user=citizen, request=None)
    assert User.objects.get(pk=citizen.pk).sessions_valid_after is None
