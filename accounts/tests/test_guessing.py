"""Issue 6 point 2: password guessing from many addresses, the backup-code page, lock-out tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.login.lockout import COOL_OFF_TIERS
from accounts.security.second_factor import backup_codes_generate
from accounts.tests.login_support import PASSWORD, full_login, password_step

pytestmark = pytest.mark.django_db

WRONG = "Неверный-пароль-9"


def _guess(client, login: str, ip: str, password: str = WRONG):
    return client.post(reverse("accounts:login"), {"username": login, "password": password}, REMOTE_ADDR=ip)


def test_many_addresses_cannot_guess_one_account_freely(client, citizen, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 8
    # Four addresses, two tries each: axes (per login + address) never locks any of them.
    for index in range(8):
        assert _guess(client, citizen.email, f"198.51.100.{index // 2}").status_code == 200
    # The ninth guess, from a fresh address, is refused without checking even the right password.
    response = _guess(client, citizen.email, "198.51.100.77", password=PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Пароль или резервный код к этой учётной записи были введены неверно 8 раз с разных устройств." in page
    # Unknown logins are counted the same way: the lock says nothing about whether an account exists.
    for index in range(8):
        _guess(client, "nobody@example.ru", f"203.0.113.{index}")
    assert _guess(client, "nobody@example.ru", "203.0.113.99").status_code == 429


def test_the_owners_known_browser_is_not_locked_out_by_guessers(
    client, citizen, settings, sms_outbox, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)  # this browser is known now
    client.post(reverse("accounts:logout"))
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    from django.test import Client

    attacker = Client()
    for index in range(3):
        _guess(attacker, citizen.email, f"198.51.100.{index}")
    assert _guess(attacker, citizen.email, "198.51.100.50", password=PASSWORD).status_code == 429
    with django_capture_on_commit_callbacks(execute=True):
        assert password_step(client, citizen.email).status_code == 302


def test_backup_code_page_counts_against_the_same_account_limit(client, citizen, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 4
    codes = backup_codes_generate(user=citizen)
    for index in range(2):
        client.post(
            reverse("accounts:login_backup"),
            {"username": citizen.email, "password": WRONG, "backup_code": codes[0]},
            REMOTE_ADDR=f"198.51.100.{index}",
        )
    for index in range(2):
        _guess(client, citizen.email, f"198.51.100.{10 + index}")
    response = client.post(
        reverse("accounts:login_backup"),
        {"username": citizen.email, "password": PASSWORD, "backup_code": codes[0]},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 429
    assert "с разных устройств" in response.content.decode()
    assert _guess(client, citizen.email, "198.51.100.21", password=PASSWORD).status_code == 429


def test_an_attackers_lockouts_do_not_lengthen_the_owners(client, citizen):
    attacker_ip, owner_ip = "198.51.100.9", "203.0.113.7"
    for _round in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _guess(client, citizen.email, attacker_ip)
        AccessAttempt.objects.update(attempt_time=timezone.now() - COOL_OFF_TIERS[1] - timedelta(seconds=1))
    # Now the owner mistypes five times from home: their first lock-out is the first tier, 15 minutes.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _guess(client, citizen.email, owner_ip)
    assert response.status_code == 429
    until = timezone.localtime(AccessAttempt.objects.get(ip_address=owner_ip).attempt_time + COOL_OFF_TIERS[0])
    assert f"Блокировка снимется автоматически в {until:%H:%M}" in response.content.decode()
    AccessAttempt.objects.filter(ip_address=owner_ip).update(
        attempt_time=timezone.now() - COOL_OFF_TIERS[0] - timedelta(seconds=1)
    )
    assert _guess(client, citizen.email, owner_ip, password=PASSWORD).status_code == 302
