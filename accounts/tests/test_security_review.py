"""Security review of accounts (issue 3): each test reproduces a defect that was found and fixed."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.security.second_factor import backup_codes_generate, second_factor_locked_until
from accounts.services import request_ip
from accounts.tests.admin_helpers import totp_device_for, totp_token
from accounts.tests.login_support import PASSWORD, code_step, extra_meta, last_sms_code, password_step

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"


# --- the admin's TOTP code could be guessed without limit ---------------------------------------------


def test_admin_totp_code_cannot_be_guessed_without_limit(verifier, client):
    """OTP_TOTP_THROTTLE_FACTOR = 0 turns django-otp's throttle off, so the admin login must apply the
    per-account second-factor limit itself: with the password alone, a guesser gets 10 tries, not 10**6."""
    device = totp_device_for(verifier)
    right = totp_token(device)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    data = {"username": verifier.email, "password": PASSWORD, "otp_device": device.persistent_id}
    for _ in range(settings.SECOND_FACTOR_FAILURE_LIMIT):
        assert client.post(ADMIN_LOGIN, {**data, "otp_token": wrong}).status_code == 200
    assert second_factor_locked_until(user=verifier) is not None
    response = client.post(ADMIN_LOGIN, {**data, "otp_token": right})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["form"].non_field_errors()[0].startswith("Слишком много неверных кодов.")


def test_admin_totp_success_resets_the_failure_count(verifier, client):
    device = totp_device_for(verifier)
    right = totp_token(device)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    data = {"username": verifier.email, "password": PASSWORD, "otp_device": device.persistent_id}
    for _ in range(settings.SECOND_FACTOR_FAILURE_LIMIT - 1):
        client.post(ADMIN_LOGIN, {**data, "otp_token": wrong})
    assert client.post(ADMIN_LOGIN, {**data, "otp_token": right}).status_code == 302
    assert second_factor_locked_until(user=verifier) is None


# --- the backup-code page let anyone lock a citizen's second factor ----------------------------------


def _backup_post(client, login: str, password: str, code: str = "AAAAA-BBBBB"):
    return client.post(
        reverse("accounts:login_backup"),
        {"username": login, "password": password, "backup_code": code},
        **extra_meta(),
    )


def test_backup_page_without_the_password_cannot_lock_the_owners_second_factor(
    citizen, sms_outbox, django_capture_on_commit_callbacks
):
    """A stranger who knows only the phone number typed wrong backup codes: the owner's login still works."""
    backup_codes_generate(user=citizen)
    stranger = Client()
    for _ in range(settings.SECOND_FACTOR_FAILURE_LIMIT + 2):
        _backup_post(stranger, str(citizen.phone), "не-тот-пароль-1")
    assert second_factor_locked_until(user=citizen) is None

    owner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert password_step(owner, citizen.email).status_code == 302
    response = code_step(owner, last_sms_code(sms_outbox))
    assert response.status_code == 302
    assert owner.session[SESSION_KEY] == str(citizen.pk)


def test_backup_page_answers_known_and_unknown_logins_alike(citizen):
    backup_codes_generate(user=citizen)
    known, unknown = Client(), Client()
    statuses_known = [_backup_post(known, citizen.email, "не-тот-пароль-1").status_code for _ in range(12)]
    statuses_unknown = [_backup_post(unknown, "nobody@example.org", "не-тот-пароль-1").status_code for _ in range(12)]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses_known == statuses_unknown == [200] * limit + [429] * (12 - limit)


def test_backup_page_counts_wrong_passwords_per_login_and_ip(citizen, django_capture_on_commit_callbacks):
    """The page bypasses axes (it exists to lift its lock), so it must not become a free password oracle."""
    codes = backup_codes_generate(user=citizen)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _backup_post(client, citizen.email, "не-тот-пароль-1", codes[0]).status_code == 200
    response = _backup_post(client, citizen.email, PASSWORD, codes[0])
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    # The code was never spent by the refused tries: the owner can still use it from elsewhere.
    other_ip = Client(REMOTE_ADDR="198.51.100.30")
    with django_capture_on_commit_callbacks(execute=True):
        response = other_ip.post(
            reverse("accounts:login_backup"), {"username": citizen.email, "password": PASSWORD, "backup_code": codes[0]}
        )
    assert response.status_code == 302
    assert other_ip.session[SESSION_KEY] == str(citizen.pk)


# --- behind the proxy every citizen had the proxy's address ----------------------------------------


def test_client_ip_behind_trusted_proxies_is_taken_from_x_forwarded_for(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    # The last hop was added by our proxy; "6.6.6.6" was typed by the client and is ignored.
    assert request_ip(request) == "198.51.100.9"


def test_client_ip_without_proxies_ignores_a_forged_x_forwarded_for(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert request_ip(request) == "198.51.100.9"


def test_lockout_behind_the_proxy_is_per_citizen_ip_not_per_proxy(
    settings, citizen, django_capture_on_commit_callbacks
):
    """An attacker elsewhere locking the login must not lock the owner out (axes is username + IP)."""
    settings.AXES_IPWARE_PROXY_COUNT = 1
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attacker.post(reverse("accounts:login"), {"username": citizen.email, "password": "неверный-9"})
    assert response.status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.66"]
    owner = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.20")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("accounts:login"), {"username": citizen.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_code")
