"""Headless Chromium: login with an SMS code read from the outbox, «Это был не я», the timeout dialog."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from playwright.sync_api import expect

from accounts.tests.login_support import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def outbox_sms(settings):
    settings.SMS_BACKEND = "notifications.backends.sms.OutboxSmsBackend"
    return Path(settings.OUTBOX_DIR) / "sms"


def read_code(folder: Path, phone: str, after: int = 0) -> str:
    """The newest login code sent to `phone`, as a person reads it on their phone."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.json")) if folder.exists() else []
        texts = [json.loads(f.read_text(encoding="utf-8")) for f in files]
        codes = [m["text"] for m in texts if m["to"] == phone and "Код для входа" in m["text"]]
        if len(codes) > after:
            return re.search(r"\b(\d{6})\b", codes[-1]).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no login code for {phone} in {folder}")


def log_in(page, citizen, outbox: Path, *, login: str, codes_before: int = 0) -> None:
    page.get_by_label("Телефон, e-mail или СНИЛС").fill(login)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    page.get_by_label("Код").fill(read_code(outbox, citizen.phone.as_e164, after=codes_before))
    page.get_by_role("button", name="Подтвердить").click()


def test_login_with_phone_password_and_sms_code(transactional_db, citizen, page, outbox_sms):
    page.goto(page.live_server_url + "/cabinet/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/cabinet/$"))
    digits = citizen.phone.as_e164[2:]
    log_in(page, citizen, outbox_sms, login=f"8 {digits[:3]} {digits[3:]}")
    expect(page).to_have_url(page.live_server_url + "/cabinet/")
    expect(page.get_by_role("heading", name="Личный кабинет")).to_be_visible()


def test_not_me_link_from_the_alert_ends_the_session(transactional_db, citizen, page, outbox_sms, settings):
    settings.PORTAL_BASE_URL = page.live_server_url
    page.goto(page.live_server_url + "/accounts/login/")
    log_in(page, citizen, outbox_sms, login=citizen.email)
    expect(page).to_have_url(page.live_server_url + "/cabinet/")
    alert = next(m for m in mail.outbox if m.subject == "Вход на портал ОМС с нового устройства")
    link = re.search(r"(http\S+/accounts/not-me/\S+/)", alert.body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Завершить все сеансы").click()
    expect(page.get_by_role("heading", name="Все сеансы завершены")).to_be_visible()
    page.goto(page.live_server_url + "/cabinet/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/cabinet/$"))


def test_timeout_dialog_extends_then_expires_and_login_returns(transactional_db, citizen, page, outbox_sms, settings):
    settings.SESSION_COOKIE_AGE = 8
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 5
    settings.SMS_CODE_RESEND_SECONDS = 0  # the test logs in twice within a minute
    page.goto(page.live_server_url + "/accounts/login/")
    log_in(page, citizen, outbox_sms, login=citizen.email)
    expect(page).to_have_url(page.live_server_url + "/cabinet/")
    loaded = time.monotonic()

    dialog = page.get_by_role("alertdialog", name="Сеанс скоро завершится")
    expect(dialog).to_be_visible(timeout=6_000)
    extend = dialog.get_by_role("button", name="Продлить сеанс")
    expect(extend).to_be_focused()
    extend.click()
    expect(dialog).to_be_hidden()
    extended = time.monotonic()
    assert extended - loaded < 8

    # Past the first 8 seconds the session is still alive thanks to the keep-alive.
    time.sleep(max(0.0, loaded + 9.5 - time.monotonic()))
    assert time.monotonic() - extended < 8
    page.goto(page.live_server_url + "/notifications/")
    expect(page).to_have_url(page.live_server_url + "/notifications/")

    # Now nobody extends it: the page goes to login with ?next=, and logging in comes back here.
    page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Fnotifications%2F$"), timeout=15_000)
    log_in(page, citizen, outbox_sms, login=citizen.email, codes_before=1)
    expect(page).to_have_url(page.live_server_url + "/notifications/")
    assert django_settings.SESSION_COOKIE_AGE == 8
