"""Keyboard alone: a citizen starts the request from the service page and fills and sends step 1 with
Tab, Space, typing and Enter only — no mouse, no clicks. Every focused control shows a focus ring."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.tests.test_browser_accessibility import _session_cookie
from oms_policy.models import PolicyRequest
from oms_policy.selectors import region_list_served
from oms_policy.tests.journey_support import catalogue_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = (
    "() => { const e = document.activeElement;"
    " return [e.tagName, e.type || '', e.id || '', (e.innerText || e.value || '').trim()] }"
)
RING = (
    "() => { const s = getComputedStyle(document.activeElement);"
    " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 || s.boxShadow !== 'none' }"
)


def _tab_to(page, want, limit: int = 80) -> list[str]:
    """Press Tab until `want(focused)` holds; every stop must show a visible focus indicator."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert page.evaluate(RING), f"no visible focus on {focused}"
        if want(focused):
            return focused
    raise AssertionError("never reached the control with Tab")


def test_keyboard_alone_starts_the_request_and_sends_step_one(browser, live_server, citizen):
    catalogue_ensure()
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_cookies([_session_cookie(citizen, live_server.url)])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/requests/services/policy-update/")
        _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Начать")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Шаг 1 из 5")).to_be_visible()

        _tab_to(page, lambda f: f[1] == "radio")
        page.keyboard.press("Space")  # the first kind: the unified policy (ЕНП)
        expect(page.get_by_label("Полис единого образца (ЕНП)")).to_be_checked()
        _tab_to(page, lambda f: f[2] == "id_current_policy_number")
        page.keyboard.type("8451 9991 2289 9990")
        _tab_to(page, lambda f: f[2] == "id_region")
        # Arrow keys on the closed list (typing Cyrillic goes through CDP insertText, not key presses).
        # The list holds the regions where an insurer works (oms_policy.selectors.region_list_served).
        names = list(region_list_served().values_list("name", flat=True))
        page.keyboard.press("End")
        for _ in range(len(names) - 1 - names.index("г. Москва")):
            page.keyboard.press("ArrowUp")
        expect(page.locator("#id_region option:checked")).to_have_text("г. Москва")
        _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Далее")
        page.keyboard.press("Enter")

        expect(page.get_by_text("Шаг 2 из 5")).to_be_visible()
        draft = PolicyRequest.objects.get(applicant=citizen)
        assert (draft.current_policy_number, draft.region.name) == ("8451999122899990", "г. Москва")
    finally:
        context.close()
