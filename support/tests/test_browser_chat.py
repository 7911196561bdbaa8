"""Headless Chromium, two browser contexts: a citizen and an operator chat live, and a dropped
connection loses nothing and repeats nothing."""

from __future__ import annotations

import os
import re
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from accounts.tests.admin_helpers import PASSWORD, totp_device_for, totp_token
from support.models import Conversation, Message

pytestmark = pytest.mark.browser


def citizen_context(browser, live_server, citizen):
    """A browser logged in as the citizen (the citizens' login is tested in accounts)."""
    client = Client()
    client.force_login(citizen)
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def operator_login(page, live_server, operator) -> None:
    """The real staff login: e-mail, password and a code from the authenticator app (TOTP)."""
    device = totp_device_for(operator)
    page.goto(f"{live_server.url}/support/console/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/support/console/$"))
    page.get_by_label("E-mail").fill(operator.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_label("Код из приложения").fill(totp_token(device))
    page.get_by_role("button", name=re.compile("Войти|Log in")).click()
    expect(page).to_have_url(f"{live_server.url}/support/console/")
    expect(page.get_by_role("heading", name="Очередь бесед")).to_be_visible()


def test_citizen_and_operator_exchange_messages_live(
    browser, live_server, transactional_db, citizen, support, settings
):
    settings.SUPPORT_POLL_SECONDS = 1
    settings.SUPPORT_HOURS = "00:00-23:59"
    operator_ctx = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    operator_ctx.set_default_timeout(15_000)
    citizen_ctx = citizen_context(browser, live_server, citizen)
    try:
        operator = operator_ctx.new_page()
        operator_login(operator, live_server, support)
        expect(operator.get_by_text("Открытых бесед нет.")).to_be_visible()

        person = citizen_ctx.new_page()
        person.goto(f"{live_server.url}/cabinet/")
        person.get_by_role("link", name="Поддержка", exact=True).click()
        expect(person.get_by_role("heading", name="Поддержка")).to_be_visible()
        # Set a mark on the window: if the page ever reloads, the mark is gone.
        person.evaluate("window.__noReload = true")
        person.get_by_label("Ваше сообщение").fill("Здравствуйте! <b>Не</b> загружается скан паспорта")
        person.get_by_role("button", name="Отправить").click()
        person_list = person.locator("[data-chat-list]")
        expect(person_list.locator("[data-seq='1'] .chat-text")).to_have_text(
            "Здравствуйте! <b>Не</b> загружается скан паспорта"
        )

        # The queue refreshes by itself; the operator opens the conversation and takes it.
        conversation = Conversation.objects.get(citizen=citizen)
        row = operator.locator(f"tr[data-conversation='{conversation.pk}']")
        expect(row.locator("[data-unread]")).to_have_text("1")
        row.get_by_role("link").click()
        operator.get_by_role("button", name="Взять беседу").click()
        expect(operator.get_by_text("Беседа ваша.")).to_be_visible()
        expect(operator.locator("aside.console-requests")).to_contain_text("Заявки гражданина")
        operator.get_by_label("Ответ").fill("Добрый день! Пришлите, пожалуйста, скан ещё раз.")
        operator.get_by_role("button", name="Отправить").click()

        # Live on the citizen's page: the join note and the answer, without a reload.
        expect(person_list.locator(".chat-message-system")).to_have_text(
            re.compile(f"Оператор {support.first_name} подключился к беседе.")
        )
        expect(person_list.locator(".chat-message-operator .chat-text")).to_have_text(
            "Добрый день! Пришлите, пожалуйста, скан ещё раз."
        )
        expect(person_list.locator(".chat-message-operator .chat-author")).to_have_text(
            f"Оператор {support.first_name}"
        )
        # And back: the operator sees the citizen's answer live.
        person.get_by_label("Ваше сообщение").fill("Отправила, спасибо")
        person.get_by_role("button", name="Отправить").click()
        operator_list = operator.locator("[data-chat-list]")
        expect(operator_list.locator("[data-seq='4'] .chat-text")).to_have_text("Отправила, спасибо")

        # The citizen's connection drops; two answers arrive meanwhile; it comes back.
        citizen_ctx.set_offline(True)
        operator.get_by_label("Ответ").fill("Получили скан.")
        operator.get_by_role("button", name="Отправить").click()
        operator.get_by_label("Ответ").fill("Заявка передана на проверку.")
        operator.get_by_role("button", name="Отправить").click()
        expect(operator_list.locator("[data-seq='6']")).to_be_visible()
        expect(person.locator("[data-chat-connection]")).to_be_visible(timeout=20_000)
        citizen_ctx.set_offline(False)
        expect(person_list.locator("[data-seq='6'] .chat-text")).to_have_text("Заявка передана на проверку.")
        expect(person.locator("[data-chat-connection]")).to_be_hidden()
        texts = person_list.locator(".chat-text").all_text_contents()
        assert texts == [
            "Здравствуйте! <b>Не</b> загружается скан паспорта",
            f"Оператор {support.first_name} подключился к беседе.",
            "Добрый день! Пришлите, пожалуйста, скан ещё раз.",
            "Отправила, спасибо",
            "Получили скан.",
            "Заявка передана на проверку.",
        ]
        seqs = person_list.locator("[data-seq]").evaluate_all("els => els.map(e => +e.dataset.seq)")
        assert seqs == [1, 2, 3, 4, 5, 6]
        assert person.evaluate("window.__noReload") is True
        # Nothing became HTML.
        assert person_list.locator("b").count() == 0
        assert list(Message.objects.filter(conversation=conversation).values_list("seq", flat=True)) == [
            1,
            2,
            3,
            4,
            5,
            6,
        ]

        # SCREENSHOT_DIR=docs/screenshots refreshes the pictures in the repository.
        if screenshot_dir := os.environ.get("SCREENSHOT_DIR"):
            person.screenshot(path=f"{screenshot_dir}/support-chat-citizen.png", full_page=True)
            operator.screenshot(path=f"{screenshot_dir}/support-chat-operator.png", full_page=True)

        # The operator closes; the citizen's page shows the rating form.
        operator.get_by_role("button", name="Закрыть беседу").click()
        expect(person.get_by_text("Оцените помощь поддержки")).to_be_visible()
        person.get_by_label("5", exact=True).check()
        person.get_by_role("button", name="Оценить").click()
        expect(person.get_by_text("Спасибо за оценку!")).to_be_visible()
        assert list(conversation.ratings.values_list("score", "staff")) == [(5, support.pk)]
    finally:
        citizen_ctx.close()
        operator_ctx.close()


def test_an_unattended_chat_stops_polling_before_the_session_times_out(
    browser, live_server, transactional_db, citizen, settings
):
    """Polls are not the person's activity: they must not keep an abandoned session alive."""
    from support import services

    settings.SUPPORT_POLL_SECONDS = 1
    settings.SESSION_COOKIE_AGE = 14
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 10
    services.conversation_open(citizen=citizen)
    conversation = Conversation.objects.get(citizen=citizen)
    services.message_post(conversation_id=conversation.pk, author=citizen, role="citizen", text="вопрос")
    context = citizen_context(browser, live_server, citizen)
    try:
        page = context.new_page()
        polls: list[float] = []
        page.on("request", lambda request: "/support/messages/" in request.url and polls.append(time.monotonic()))
        page.goto(f"{live_server.url}/support/")
        expect(page.locator("[data-seq='1']")).to_be_visible()
        page.wait_for_timeout(2500)
        assert len(polls) >= 1  # it polled while the page was fresh (idle under 14 - 10 = 4 s)
        paused_at = time.monotonic()
        page.wait_for_timeout(3500)
        assert [t for t in polls if t > paused_at + 2] == []
        expect(page.get_by_role("alertdialog")).to_be_visible()
    finally:
        context.close()
