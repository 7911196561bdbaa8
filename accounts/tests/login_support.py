"""Helpers for the login and second-factor tests: a movable clock and the two login steps."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

PASSWORD = "Пароль-для-тестов-1"  # accounts.tests.factories.UserFactory


class Clock:
    """Moves django.utils.timezone.now() forward; every timezone.now() caller sees it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    real_now = timezone.now
    state = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + state.offset)
    return state


def last_sms_code(sms_outbox: list[dict[str, str]]) -> str:
    match = re.search(r"\b(\d{6})\b", sms_outbox[-1]["text"])
    assert match, sms_outbox[-1]
    return match.group(1)


def password_step(client, login: str, password: str = PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": login, "password": password, **extra}, **extra_meta())


def extra_meta() -> dict[str, str]:
    return {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "pytest-browser/1.0"}


def code_step(client, token: str, method: str = "sms"):
    return client.post(
        reverse("accounts:login_code"), {"token": token, "method": method, "action": "verify"}, **extra_meta()
    )


def full_login(client, user, sms_outbox, capture) -> object:
    """Password, then the SMS code from the outbox; returns the response of the code step."""
    with capture(execute=True):
        response = password_step(client, str(user.phone))
    assert response.status_code == 302, response
    with capture(execute=True):
        return code_step(client, last_sms_code(sms_outbox))
