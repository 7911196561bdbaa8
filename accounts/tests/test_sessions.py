"""Sessions (issue 3, items 5 and 9): 12-hour cap, logout everywhere, new-device alert, «Это был не я»,
the «Безопасность» page and the session-timeout dialog's settings."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import AuditEventKind
from accounts.models import AuditEvent, BackupCodeDevice, KnownDevice
from accounts.tests import login_support
from accounts.tests.login_support import PASSWORD, extra_meta, full_login

pytestmark = pytest.mark.django_db
clock = login_support.clock  # the fixture: moves timezone.now()


def test_session_ends_after_twelve_hours_even_when_active(
    client, citizen, sms_outbox, clock, settings, django_capture_on_commit_callbacks
):
    settings.SESSION_COOKIE_AGE = 2 * 60 * 60  # an idle timeout that alone would never end it
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    for _ in range(12):  # a request every 59 minutes...
        clock.advance(minutes=59)
        assert client.get(reverse("cabinet")).status_code == 200
    clock.advance(minutes=13)  # ...but 12 h after login the session ends
    response = client.get(reverse("cabinet"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/cabinet/"
    assert SESSION_KEY not in client.session


def test_session_ends_after_30_idle_minutes(client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    clock.advance(minutes=29)
    assert client.get(reverse("cabinet")).status_code == 200
    clock.advance(minutes=30, seconds=1)
    assert client.get(reverse("cabinet")).status_code == 302


def test_logout_everywhere_ends_another_session_and_keeps_this_one(
    citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    phone, laptop = Client(**extra_meta()), Client(**extra_meta())
    full_login(phone, citizen, sms_outbox, django_capture_on_commit_callbacks)
    clock.advance(seconds=61)
    full_login(laptop, citizen, sms_outbox, django_capture_on_commit_callbacks)
    laptop.post(reverse("accounts:security_reauth"), {"password": PASSWORD})
    key_before = laptop.session.session_key
    response = laptop.post(reverse("accounts:logout_all"))
    assert response["Location"] == reverse("accounts:security")
    assert laptop.session.session_key != key_before
    assert laptop.get(reverse("cabinet")).status_code == 200
    assert phone.get(reverse("cabinet")).status_code == 302
    assert AuditEvent.objects.filter(kind=AuditEventKind.SESSIONS_ENDED, subject=citizen).count() == 1


def test_keepalive_touches_the_session(client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    clock.advance(minutes=25)
    assert client.post(reverse("accounts:session_keepalive")).json() == {"active": True, "idle_seconds": 1800}
    clock.advance(minutes=25)  # 50 minutes after login, 25 after the keep-alive
    assert client.get(reverse("cabinet")).status_code == 200


def test_keepalive_when_logged_out(client):
    assert client.post(reverse("accounts:session_keepalive")).status_code == 401


def test_timeout_dialog_takes_its_numbers_from_settings(client, citizen, settings):
    settings.SESSION_COOKIE_AGE = 8
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 5
    client.force_login(citizen)
    page = client.get(reverse("cabinet")).content.decode()
    assert 'role="alertdialog"' in page
    assert 'data-idle-seconds="8"' in page
    assert 'data-warning-seconds="5"' in page
    assert "Продлить сеанс" in page


def test_new_device_alert_once_and_not_on_a_known_device(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    assert KnownDevice.objects.filter(user=citizen).count() == 1
    assert [m.subject for m in mail.outbox] == ["Вход на портал ОМС с нового устройства"]
    alert_sms = [item for item in sms_outbox if "вход с нового устройства" in item["text"]]
    assert len(alert_sms) == 1
    assert settings.KNOWN_DEVICE_COOKIE_NAME in client.cookies
    client.post(reverse("accounts:logout"))
    clock.advance(seconds=61)
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1  # the same browser: no second alert
    assert KnownDevice.objects.filter(user=citizen).count() == 1


def test_known_device_stores_only_a_hash(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    token = client.cookies[settings.KNOWN_DEVICE_COOKIE_NAME].value
    stored = KnownDevice.objects.get(user=citizen).token_hash
    assert token not in stored and len(stored) == 64


def not_me_path() -> str:
    match = re.search(r"(/accounts/not-me/[^/\s]+/)", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(1)


def test_not_me_ends_every_session_and_sends_a_reset_link(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    path = not_me_path()
    stranger = Client()
    # Opening the link (as a mail scanner would) only asks; nothing ends yet.
    response = stranger.get(path)
    assert response.status_code == 200
    assert "Завершить все сеансы" in response.content.decode()
    assert client.get(reverse("cabinet")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = stranger.post(path)
    assert response.status_code == 200
    assert "Все сеансы завершены" in response.content.decode()
    assert client.get(reverse("cabinet")).status_code == 302
    assert mail.outbox[-1].subject == "Восстановление пароля на портале ОМС"
    assert KnownDevice.objects.filter(user=citizen).count() == 0
    citizen.refresh_from_db()
    assert citizen.sessions_valid_after is not None


def test_not_me_link_forged_or_old_is_refused(client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    path = not_me_path()
    assert client.get(path.replace("/not-me/", "/not-me/x")).status_code == 400
    assert client.post(path.replace("/not-me/", "/not-me/x")).status_code == 400
    clock.advance(hours=24, seconds=1)
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    citizen.refresh_from_db()
    assert citizen.sessions_valid_after is None


# --- «Безопасность» ----------------------------------------------------------------------------------


def logged_in(client, citizen, sms_outbox, capture):
    full_login(client, citizen, sms_outbox, capture)
    return client


def test_security_page_needs_the_password_again(client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks):
    logged_in(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    clock.advance(minutes=5, seconds=1)  # the login itself counts as typing the password for 5 minutes
    response = client.get(reverse("accounts:security"))
    assert response["Location"] == f"{reverse('accounts:security_reauth')}?next=/accounts/security/"
    wrong = client.post(reverse("accounts:security_reauth"), {"password": "не тот", "next": "/accounts/security/"})
    assert "Неверный пароль." in wrong.content.decode()
    right = client.post(reverse("accounts:security_reauth"), {"password": PASSWORD, "next": "/accounts/security/"})
    assert right["Location"] == "/accounts/security/"
    assert client.get(reverse("accounts:security")).status_code == 200


def test_reauth_is_valid_five_minutes(client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks):
    logged_in(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    client.post(reverse("accounts:security_reauth"), {"password": PASSWORD})
    clock.advance(minutes=5, seconds=1)
    assert client.get(reverse("accounts:security")).status_code == 302


def test_security_page_anonymous_goes_to_login(client):
    response = client.get(reverse("accounts:security"))
    assert response["Location"].startswith(reverse("accounts:login"))


def test_add_totp_with_qr_and_confirmation_code(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    logged_in(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    client.post(reverse("accounts:security_reauth"), {"password": PASSWORD})
    page = client.get(reverse("accounts:security_totp_add"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=citizen, confirmed=False)
    code = f"{totp(device.bin_key):06d}"
    response = client.post(reverse("accounts:security_totp_add"), {"token": code})
    assert response["Location"] == reverse("accounts:security")
    device.refresh_from_db()
    assert device.confirmed is True
    event = AuditEvent.objects.get(kind=AuditEventKind.FACTOR_ADDED)
    assert event.details == {"method": "totp"}


def test_backup_codes_page_shows_ten_and_remove_rules(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    logged_in(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    client.post(reverse("accounts:security_reauth"), {"password": PASSWORD})
    page = client.post(reverse("accounts:security_backup_codes")).content.decode()
    assert len(re.findall(r"<code>[A-Z0-9]{5}-[A-Z0-9]{5}</code>", page)) == 10
    device = BackupCodeDevice.objects.get(user=citizen)
    response = client.post(reverse("accounts:security_factor_remove"), {"device": device.persistent_id})
    assert response["Location"] == reverse("accounts:security")
    assert not BackupCodeDevice.objects.filter(user=citizen).exists()
    assert AuditEvent.objects.filter(kind=AuditEventKind.FACTOR_REMOVED).count() == 1


def test_last_factor_cannot_be_removed(citizen):
    from django.core.exceptions import ValidationError

    from accounts.security.services import factor_remove

    citizen.phone_confirmed_at = None
    citizen.save(update_fields=["phone_confirmed_at"])
    device = TOTPDevice.objects.create(user=citizen, name="app", confirmed=True)
    with pytest.raises(ValidationError) as refused:
        factor_remove(user=citizen, persistent_id=device.persistent_id, request=None)
    assert refused.value.messages == ["Нельзя удалить последний способ подтверждения входа. Сначала добавьте другой."]
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
