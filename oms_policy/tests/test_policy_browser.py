"""Headless Chromium: «Мой полис» with its QR code opens without the network once it was opened."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from oms_policy.constants import RequestStatus
from oms_policy.policy_services import policy_issue
from oms_policy.tests.factories import PolicyFactory, PolicyRequestFactory

pytestmark = pytest.mark.browser


def _log_in(page, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": page.live_server_url}])


def test_the_policy_page_works_offline_once_opened(page, transactional_db):
    from django.utils import timezone

    policy = PolicyFactory(enp="8451999122899990")
    request = PolicyRequestFactory(applicant=policy.holder, status=RequestStatus.APPROVED, decided_at=timezone.now())
    document = policy_issue(request_id=request.pk)
    _log_in(page, policy.holder)

    page.goto(f"{page.live_server_url}/policy/")
    page.wait_for_selector("html[data-offline-ready='true']")
    assert page.evaluate("navigator.serviceWorker.getRegistration('/').then(r => r.active.scriptURL)").endswith(
        "/sw.js"
    )
    registration_scope = page.evaluate("navigator.serviceWorker.ready.then(r => new URL(r.scope).pathname)")
    assert registration_scope == "/"
    assert page.locator("[data-offline-status]").is_visible()
    # On a 360 px phone the large ЕНП and the QR code fit: nothing scrolls sideways.
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") == 360

    page.context.set_offline(True)
    page.reload()
    assert page.locator(".policy-enp").inner_text() == "8451 9991 2289 9990"
    assert page.locator(".policy-qr img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("code").first.inner_text() == str(document.pk)
    # The page's own stylesheet came from the saved copy too.
    assert page.evaluate("getComputedStyle(document.querySelector('.policy-enp')).fontWeight") == "700"
    assert page.evaluate("navigator.serviceWorker.controller !== null")

    # Another page was never saved: offline it fails, as it should.
    response_ok = True
    try:
        response = page.goto(f"{page.live_server_url}/cabinet/")
        response_ok = response is not None and response.ok
    except Exception:
        response_ok = False
    assert response_ok is False
    page.context.set_offline(False)


def test_logging_out_forgets_the_saved_policy(page, transactional_db):
    from django.utils import timezone

    policy = PolicyFactory(enp="8451999122899990")
    request = PolicyRequestFactory(applicant=policy.holder, status=RequestStatus.APPROVED, decided_at=timezone.now())
    policy_issue(request_id=request.pk)
    _log_in(page, policy.holder)
    page.goto(f"{page.live_server_url}/policy/")
    page.wait_for_selector("html[data-offline-ready='true']")
    assert page.evaluate("caches.keys()") == ["oms-policy-v1"]

    page.get_by_role("button", name="Выйти").click()
    page.wait_for_load_state()
    page.wait_for_function("caches.keys().then(keys => keys.length === 0)")
    page.context.set_offline(True)
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED|net::"):
        page.goto(f"{page.live_server_url}/policy/")
    page.context.set_offline(False)
