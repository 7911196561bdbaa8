"""The lock-out page tells the tries really counted and the real time left (issue 6, point 9).

It used to print the configured limit: after the owner's own mistakes from a known browser (which
the account lock lets through, and still counts) a guesser's page said «3 раз» when 5 were counted,
and «2 раза»/«3 раза» came out as «3 раз».
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.tests import login_support
from accounts.tests.login_support import code_step, full_login, last_sms_code, password_step

pytestmark = pytest.mark.django_db
clock = login_support.clock

WRONG = "Неверный-пароль-9"


def _notice(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.search(r'<div class="notice" role="alert">(.*?)</div>', html, re.S).group(1))


def test_account_lock_counts_every_wrong_password_including_the_owners(
    client, citizen, settings, sms_outbox, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)  # a known browser now
    client.post(reverse("accounts:logout"))
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    attacker = Client()
    for index in range(3):
        attacker.post(
            reverse("accounts:login"), {"username": citizen.email, "password": WRONG}, REMOTE_ADDR=f"198.51.100.{index}"
        )
    # The owner's known browser is let through the lock, and the owner mistypes twice more.
    for _ in range(2):
        assert password_step(client, citizen.email, password=WRONG).status_code == 200
    response = attacker.post(
        reverse("accounts:login"), {"username": citizen.email, "password": WRONG}, REMOTE_ADDR="198.51.100.9"
    )
    assert response.status_code == 429
    assert "были введены неверно 5 раз с разных устройств." in _notice(response)


def test_password_lock_says_the_count_in_russian_and_the_minutes_left(client, citizen, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = password_step(client, citizen.email, password=WRONG)
    assert response.status_code == 429
    notice = _notice(response)
    assert "Пароль был введён неверно 3 раза подряд." in notice
    assert "Осталось 15 минут." in notice
    # A later visit while locked reads the count from axes' rows: still 3, and fewer minutes left.
    response = password_step(client, citizen.email)
    assert "Пароль был введён неверно 3 раза подряд." in _notice(response)


def test_password_lock_minutes_left_shrink_with_time(client, citizen, clock):
    for _ in range(5):
        password_step(client, citizen.email, password=WRONG)
    clock.advance(minutes=14, seconds=10)
    response = password_step(client, citizen.email)
    assert response.status_code == 429
    notice = _notice(response)
    assert "Пароль был введён неверно 5 раз подряд." in notice
    assert "Осталась 1 минута." in notice


def test_second_factor_lock_keeps_its_count_after_the_counter_window(
    client, citizen, settings, sms_outbox, clock, django_capture_on_commit_callbacks
):
    settings.SECOND_FACTOR_FAILURE_LIMIT = 3
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    code = last_sms_code(sms_outbox)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(2):
        code_step(client, wrong)
    response = code_step(client, wrong)
    assert response.status_code == 429
    assert "Код подтверждения был введён неверно 3 раза." in _notice(response)
    # The failure counter's window began at the first try, so it ends before the lock does.
    cache.delete(f"second-factor:failures:{citizen.pk}")
    clock.advance(minutes=3, seconds=30)
    response = code_step(client, code)
    assert response.status_code == 429
    notice = _notice(response)
    assert "Код подтверждения был введён неверно 3 раза." in notice
    assert "Осталось 12 минут." in notice


def test_backup_page_lock_counts_its_own_tries(client, citizen, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(
            reverse("accounts:login_backup"),
            {"username": citizen.email, "password": WRONG, "backup_code": "AAAAA-BBBBB"},
            REMOTE_ADDR="203.0.113.7",
        )
    response = client.post(
        reverse("accounts:login_backup"),
        {"username": citizen.email, "password": WRONG, "backup_code": "AAAAA-BBBBB"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 429
    assert "Пароль или резервный код были введены неверно 2 раза." in _notice(response)
