"""Registration in headless Chromium, reading the codes from the outbox files as from a phone."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.constants import IdentityLevel
from accounts.models import User

PASSWORD = "Зелёный-чайник-42"
PHONE = "+79161234567"


def _wait_for_file(folder: Path, *, to: str, pattern: str, seen: set[str]) -> tuple[str, re.Match]:
    """The newest outbox file for `to` whose text matches `pattern`, not read before."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.json")):
            if path.name in seen:
                continue
            record = json.loads(path.read_text(encoding="utf-8"))
            match = re.search(pattern, record["text"])
            if record["to"].replace(" ", "").replace("-", "") == to and match:
                seen.add(path.name)
                return record["text"], match
        time.sleep(0.1)
    raise AssertionError(f"nothing for {to} in {folder}")


@pytest.fixture
def fresh_celery_pools():
    """Start from fresh kombu pools: a test that simulates a broker outage may leave them closed.

    (notifications/tests/test_outbox.py::test_broker_down_loses_nothing force-closes the shared
    pool; eager tasks still take a producer from it, and the live server's thread then fails.)
    """
    import kombu.pools

    from portal.celery import app

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    yield


@pytest.mark.browser
def test_register_confirm_both_and_log_in(fresh_celery_pools, page, settings):
    settings.SMS_BACKEND = "notifications.backends.sms.OutboxSmsBackend"
    settings.EMAIL_BACKEND = "notifications.backends.email.OutboxEmailBackend"
    outbox = Path(django_settings.OUTBOX_DIR)
    seen: set[str] = set()

    page.goto(page.live_server_url + "/accounts/register/")
    assert page.get_by_role("heading", level=1).inner_text() == "Регистрация на портале ОМС"
    page.get_by_label("Фамилия").fill("Кузнецова")
    page.locator("#id_first_name").fill("Мария")
    page.get_by_label("Отчество").fill("Олеговна")
    page.get_by_label("Мобильный телефон").fill("8 916 123-45-67")
    page.get_by_label("Электронная почта").fill("maria@example.ru")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Зарегистрироваться").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Подтвердите номер телефона"
    text, match = _wait_for_file(outbox / "sms", to=PHONE, pattern=r"регистрации на портале ОМС: (\d{6})\.", seen=seen)
    assert text.endswith("Никому его не сообщайте — сотрудники портала и поликлиники его не спрашивают.")
    page.get_by_label("Код из SMS").fill(match.group(1))
    page.get_by_role("button", name="Подтвердить").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Телефон подтверждён"
    _text, link = _wait_for_file(
        outbox / "email", to="maria@example.ru", pattern=r"https?://\S+(/accounts/register/email/\S+/)", seen=seen
    )
    page.goto(page.live_server_url + link.group(1))
    page.get_by_role("button", name="Подтвердить адрес").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Электронная почта подтверждена"
    assert page.get_by_test_id("both-confirmed").inner_text() == "Телефон и электронная почта подтверждены."
    user = User.objects.get(email="maria@example.ru")
    assert user.identity_level == IdentityLevel.STANDARD
    assert user.phone_confirmed_at is not None and user.email_confirmed_at is not None

    # Log in with the new phone and password, then the second factor from the SMS outbox.
    page.get_by_role("link", name="Войти").last.click()
    page.get_by_label("Телефон, e-mail или СНИЛС").fill("+7 916 123-45-67")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Войти").last.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Подтвердите вход"
    _text, login = _wait_for_file(outbox / "sms", to=PHONE, pattern=r"входа на портал ОМС: (\d{6})\.", seen=seen)
    page.locator("#id_token").fill(login.group(1))
    page.get_by_role("button", name="Подтвердить").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Личный кабинет"
    assert "Стандартная" in page.locator(".profile-card").inner_text()
