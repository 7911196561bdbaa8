"""Login in two steps (issue 3, items 2, 4, 8, 9): no session before the second factor, axes, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.constants import AuditEventKind
from accounts.login.lockout import COOL_OFF_TIERS
from accounts.models import AuditEvent, BackupCodeDevice, SmsDevice
from accounts.security.second_factor import backup_codes_generate
from accounts.tests import login_support
from accounts.tests.factories import StaffFactory
from accounts.tests.login_support import (
    PASSWORD,
    code_step,
    extra_meta,
    full_login,
    last_sms_code,
    password_step,
)

pytestmark = pytest.mark.django_db
clock = login_support.clock  # the fixture: moves timezone.now()


def test_password_step_leaves_an_anonymous_session_and_sends_the_code(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = password_step(client, str(citizen.phone))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_code")
    assert SESSION_KEY not in client.session
    assert client.session["pending_login"]["user_id"] == citizen.pk
    assert len(sms_outbox) == 1
    cabinet = client.get(reverse("cabinet"))
    assert cabinet.status_code == 302
    assert cabinet["Location"] == f"{reverse('accounts:login')}?next=/cabinet/"
    page = client.get(reverse("accounts:login_code"))
    assert page.wsgi_request.user.is_anonymous
    assert "+7 *** ***-**-" in page.content.decode()


@pytest.mark.parametrize("login_kind", ["phone", "phone_8", "email", "snils"])
def test_any_of_phone_email_snils_finds_the_account(
    client, citizen, sms_outbox, login_kind, django_capture_on_commit_callbacks
):
    digits = citizen.phone.as_e164[2:]
    login = {
        "phone": citizen.phone.as_e164,
        "phone_8": f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
        "email": citizen.email.upper(),
        "snils": f"{citizen.snils[:3]}-{citizen.snils[3:6]}-{citizen.snils[6:9]} {citizen.snils[9:]}",
    }[login_kind]
    with django_capture_on_commit_callbacks(execute=True):
        response = password_step(client, login)
    assert response.status_code == 302
    assert client.session["pending_login"]["user_id"] == citizen.pk


def test_full_login_rotates_session_key_and_binds_the_device(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    client.get(reverse("accounts:login"))
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    key_after_password = client.session.session_key
    with django_capture_on_commit_callbacks(execute=True):
        response = code_step(client, last_sms_code(sms_outbox))
    assert response.status_code == 302
    assert response["Location"] == reverse("cabinet")
    assert client.session.session_key != key_after_password
    assert client.session[SESSION_KEY] == str(citizen.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == SmsDevice.objects.get(user=citizen).persistent_id
    assert "pending_login" not in client.session
    assert client.get(reverse("cabinet")).status_code == 200
    event = AuditEvent.objects.get(kind=AuditEventKind.LOGIN)
    assert (event.actor, event.ip_address, event.details) == (citizen, "203.0.113.7", {"method": "sms"})


def test_login_returns_to_next(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email, next="/notifications/")
    with django_capture_on_commit_callbacks(execute=True):
        response = code_step(client, last_sms_code(sms_outbox))
    assert response["Location"] == "/notifications/"


def test_login_ignores_offsite_next(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email, next="https://evil.example/")
    with django_capture_on_commit_callbacks(execute=True):
        response = code_step(client, last_sms_code(sms_outbox))
    assert response["Location"] == reverse("cabinet")


def test_wrong_code_keeps_the_session_anonymous(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    code = last_sms_code(sms_outbox)
    response = code_step(client, f"{(int(code) + 1) % 1_000_000:06d}")
    assert response.status_code == 200
    assert "Неверный код." in response.content.decode()
    assert SESSION_KEY not in client.session
    failed = AuditEvent.objects.filter(kind=AuditEventKind.LOGIN_FAILED).values_list("details", flat=True)
    assert list(failed) == [{"step": "second_factor", "method": "sms"}]


def test_sixth_try_on_the_page_says_the_code_is_spent(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    code = last_sms_code(sms_outbox)
    for _ in range(5):
        code_step(client, f"{(int(code) + 1) % 1_000_000:06d}")
    response = code_step(client, code)
    assert response.status_code == 200
    assert "Код введён неверно 5 раз и больше не действует. Запросите новый код." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_resend_too_soon_shows_seconds_left(client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    clock.advance(seconds=15)
    response = client.post(reverse("accounts:login_code"), {"method": "sms", "action": "resend"})
    assert response.status_code == 200
    assert "Новый код можно запросить через 45 с." in response.content.decode()
    assert len(sms_outbox) == 1


def test_pending_login_expires_after_ten_minutes(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    code = last_sms_code(sms_outbox)
    clock.advance(minutes=10, seconds=5)
    response = code_step(client, code)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_backup_code_at_the_second_step(client, citizen, django_capture_on_commit_callbacks):
    codes = backup_codes_generate(user=citizen)
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    response = code_step(client, codes[0], method="backup_code")
    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == BackupCodeDevice.objects.get(user=citizen).persistent_id


def known_and_unknown(client, login: str):
    response = password_step(client, login, password="Неверный-пароль-9")
    # CSRF tokens are masked afresh on every render; everything else must match.
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", response.content.decode())
    return response.status_code, [t.name for t in response.templates][0], text


def test_identical_responses_for_known_and_unknown_login(client, citizen):
    known = known_and_unknown(client, citizen.email)
    unknown = known_and_unknown(client, "nobody@example.ru")
    assert known[0] == unknown[0] == 200
    assert known[1] == unknown[1] == "accounts/login.html"
    # The pages differ only in the login echoed back into the field.
    assert known[2].replace(citizen.email, "LOGIN") == unknown[2].replace("nobody@example.ru", "LOGIN")
    assert "Неверный логин или пароль." in known[2]
    # Known and unknown both count towards a lock-out, in the same way.
    assert AccessAttempt.objects.count() == 2


def test_failed_password_is_audited_without_the_password(client, citizen):
    password_step(client, citizen.email, password="Неверный-пароль-9")
    event = AuditEvent.objects.get(kind=AuditEventKind.LOGIN_FAILED)
    assert (event.subject, event.details) == (citizen, {"step": "password"})
    assert "Неверный-пароль-9" not in str(event.details)


def lock_out(client, login: str) -> object:
    response = None
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = password_step(client, login, password="Неверный-пароль-9")
    return response


def test_axes_locks_after_limit_and_shows_why_until_when_and_ways_back(client, citizen):
    response = lock_out(client, citizen.email)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Пароль был введён неверно 5 раз подряд." in page
    until = timezone.localtime(AccessAttempt.objects.get().attempt_time + COOL_OFF_TIERS[0])
    assert f"Блокировка снимется автоматически в {until:%H:%M}" in page
    assert reverse("accounts:password_reset") in page
    assert reverse("accounts:login_backup") in page
    # Even the right password is refused while locked.
    assert password_step(client, citizen.email).status_code == 429
    assert AuditEvent.objects.filter(kind=AuditEventKind.LOCKED_OUT, subject=citizen).count() == 1


def test_lockout_counts_one_account_however_the_login_is_typed(client, citizen):
    digits = citizen.phone.as_e164[2:]
    for login in (citizen.email, citizen.phone.as_e164, f"8{digits}", citizen.snils, citizen.email.upper()):
        response = password_step(client, login, password="Неверный-пароль-9")
    assert response.status_code == 429
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [f"user:{citizen.pk}"]


def test_lock_expires_after_the_cool_off(client, citizen, django_capture_on_commit_callbacks):
    lock_out(client, citizen.email)
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOL_OFF_TIERS[0] + timedelta(seconds=30))
    assert password_step(client, citizen.email).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOL_OFF_TIERS[0] - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert password_step(client, citizen.email).status_code == 302


def test_second_lockout_within_a_day_lasts_longer(client, citizen):
    lock_out(client, citizen.email)
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOL_OFF_TIERS[0] - timedelta(seconds=1))
    response = lock_out(client, citizen.email)
    assert response.status_code == 429
    # After the second lock-out, 15 minutes later it is still locked: the tier is one hour now.
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOL_OFF_TIERS[0] - timedelta(seconds=1))
    assert password_step(client, citizen.email).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOL_OFF_TIERS[1] - timedelta(seconds=1))
    assert password_step(client, citizen.email).status_code == 302


def test_success_resets_axes_failures(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(client, citizen.email, password="Неверный-пароль-9")
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    assert AccessAttempt.objects.count() == 0


def test_backup_code_lifts_the_lockout(client, citizen, django_capture_on_commit_callbacks):
    codes = backup_codes_generate(user=citizen)
    lock_out(client, citizen.email)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:login_backup"),
            {"username": citizen.email, "password": PASSWORD, "backup_code": codes[1]},
            **extra_meta(),
        )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(citizen.pk)
    assert AccessAttempt.objects.count() == 0


def test_backup_unlock_with_wrong_code_is_refused(client, citizen):
    backup_codes_generate(user=citizen)
    response = client.post(
        reverse("accounts:login_backup"),
        {"username": citizen.email, "password": PASSWORD, "backup_code": "AAAAA-BBBBB"},
        **extra_meta(),
    )
    assert response.status_code == 200
    assert "Неверный логин, пароль или резервный код." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_second_factor_lockout_page_after_ten_wrong_codes(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    code = last_sms_code(sms_outbox)
    for _ in range(5):
        code_step(client, f"{(int(code) + 1) % 1_000_000:06d}")
    clock.advance(seconds=61)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:login_code"), {"method": "sms", "action": "resend"})
    code = last_sms_code(sms_outbox)
    for _ in range(4):
        code_step(client, f"{(int(code) + 1) % 1_000_000:06d}")
    response = code_step(client, f"{(int(code) + 1) % 1_000_000:06d}")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Код подтверждения был введён неверно 10 раз." in page
    assert reverse("accounts:password_reset") in page
    assert code_step(client, code).status_code == 429


def test_staff_without_totp_has_no_factor(client, django_capture_on_commit_callbacks):
    staff = StaffFactory()
    password_step(client, staff.email)
    response = client.get(reverse("accounts:login_code"))
    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_logout_is_audited_and_ends_the_session(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(kind=AuditEventKind.LOGOUT, actor=citizen).count() == 1


def test_password_reset_link_then_login_still_needs_the_second_factor(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": citizen.email})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Никому не пересылайте это письмо" in body
    link = next(line for line in body.splitlines() if "/password/reset/" in line).strip()
    path = link.split(settings.PORTAL_BASE_URL.rstrip("/"), 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Новый-надёжный-пароль-7", "new_password2": "Новый-надёжный-пароль-7"},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert SESSION_KEY not in client.session  # no automatic login
    with django_capture_on_commit_callbacks(execute=True):
        response = password_step(client, citizen.email, password="Новый-надёжный-пароль-7")
    assert response["Location"] == reverse("accounts:login_code")
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(kind=AuditEventKind.PASSWORD_RESET, subject=citizen).count() == 1


def test_password_reset_same_answer_for_unknown_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.ru"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_reset_lifts_the_password_lockout(client, citizen, django_capture_on_commit_callbacks):
    from accounts.login.password_reset import password_reset_completed

    lock_out(client, citizen.email)
    password_reset_completed(user=citizen, request=None)
    assert AccessAttempt.objects.count() == 0
