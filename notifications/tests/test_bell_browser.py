"""The bell in headless Chromium: open the list, mark all read, follow a message to its request."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from notifications.models import Notification
from oms_policy.constants import RequestStatus
from oms_policy.tests.factories import PolicyRequestFactory

pytestmark = pytest.mark.browser


def _log_in(page, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": page.live_server_url,
            }
        ]
    )


def test_the_bell_lists_marks_and_opens(transactional_db, citizen, page):
    request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.SUBMITTED, number="12345678903")
    Notification.objects.create(
        recipient=citizen,
        event="request_submitted",
        title="Заявка 123-456-789-03 подана",
        body="…",
        link=f"/requests/{request.pk}/",
    )
    Notification.objects.create(
        recipient=citizen, event="request_in_review", title="Заявка 123-456-789-03 на проверке", body="…"
    )
    _log_in(page, citizen)
    page.goto(f"{page.live_server_url}/cabinet/")
    badge = page.locator(".bell .badge")
    assert badge.inner_text() == "2"
    page.locator(".bell-menu summary").click()
    panel = page.locator(".bell-panel")
    assert panel.is_visible()
    expect(panel.locator(".bell-item > a")).to_have_count(2)  # fetched when the bell opens (bell.js)
    assert panel.locator(".bell-item > a").all_text_contents() == [
        "Новое: Заявка 123-456-789-03 на проверке",
        "Новое: Заявка 123-456-789-03 подана",
    ]
    if os.environ.get("NOTIFY_SCREENSHOT"):
        page.screenshot(path=os.environ["NOTIFY_SCREENSHOT"])
    panel.get_by_role("button", name="Отметить все прочитанными").click()
    page.wait_for_url(f"{page.live_server_url}/cabinet/")
    assert page.locator(".bell .badge").count() == 0
    page.locator(".bell-menu summary").click()
    expect(page.locator(".bell-panel .bell-item > a")).to_have_count(2)
    page.locator(".bell-panel").get_by_role("link", name="Заявка 123-456-789-03 подана").click()
    page.wait_for_url(f"{page.live_server_url}/requests/{request.pk}/")
    assert page.locator("h1").inner_text() == "Заявка № 123-456-789-03"
