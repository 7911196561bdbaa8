"""Accessibility in a real browser: axe-core on the account pages, reflow at 360 px and 200 % zoom,
and no Content-Security-Policy refusals (issue 6 points 5 and 12).

axe-core is pinned in tools/axe/package.json (package-lock.json beside it); the fixture installs it
with `npm ci` when tools/axe/node_modules is missing (`make axe` does the same).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from accounts.login.services import REAUTH_KEY
from accounts.middleware import SESSION_LOGIN_AT_KEY

AXE_DIR = Path(django_settings.BASE_DIR) / "tools" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"

ANONYMOUS_PAGES = ["/", "/accounts/login/", "/accounts/register/", "/accounts/password/reset/"]
CITIZEN_PAGES = ["/accounts/security/", "/notifications/", "/accounts/register/contact/", "/cabinet/"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        subprocess.run(["npm", "ci", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund"], check=True, timeout=300)
    return AXE_JS.read_text(encoding="utf-8")


def _session_cookie(user, live_server_url: str) -> dict:
    """A logged-in session for `user` with a fresh password re-entry (the «Безопасность» page asks)."""
    import time

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "accounts.backends.LoginBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session[SESSION_LOGIN_AT_KEY] = time.time()
    session[REAUTH_KEY] = time.time()
    session.create()
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server_url}


def _context(browser, live_server, user=None, **options):
    context = browser.new_context(locale="ru-RU", **options)
    context.set_default_timeout(15_000)
    if user is not None:
        context.add_cookies([_session_cookie(user, live_server.url)])
    return context


def _pages_for(user) -> list[str]:
    return ANONYMOUS_PAGES if user is None else CITIZEN_PAGES


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_axe_finds_no_violations_on_the_account_pages(transactional_db, browser, live_server, citizen, axe_source, who):
    user = citizen if who == "citizen" else None
    # Injecting axe is an inline script: this one context lets it past the policy.
    context = _context(browser, live_server, user, bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = {}
    try:
        for path in _pages_for(user):
            assert page.goto(live_server.url + path).status == 200, path
            page.add_script_tag(content=axe_source)
            result = page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']}))"
                ".violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
            )
            if result:
                found[path] = result
    finally:
        context.close()
    assert found == {}


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_pages_reflow_at_360_px_and_200_percent_zoom_without_csp_refusals(
    transactional_db, browser, live_server, citizen, who
):
    user = citizen if who == "citizen" else None
    # 200 % zoom on a 360 px wide phone leaves 180 CSS pixels for the layout.
    context = _context(browser, live_server, user, viewport={"width": 180, "height": 640}, device_scale_factor=4)
    page = context.new_page()
    refused: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", watch)
    overflowing = {}
    try:
        for path in _pages_for(user):
            assert page.goto(live_server.url + path).status == 200, path
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
                " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
                " document.documentElement.clientWidth + 1 && getComputedStyle(e).position !== 'fixed')"
                ".slice(0, 3).map(e => e.tagName + '.' + e.className)]"
            )
            if widths[0] > widths[1]:
                overflowing[path] = widths
    finally:
        context.close()
    assert overflowing == {}
    assert refused == []


def test_the_timeout_dialog_makes_the_page_behind_it_inert(transactional_db, browser, live_server, citizen, settings):
    settings.SESSION_COOKIE_AGE = 8
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 6
    context = _context(browser, live_server, citizen, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/cabinet/")
        page.wait_for_selector("#session-timeout:not([hidden])", timeout=10_000)
        inert = page.evaluate(
            "() => [...document.body.children].filter(e => e.tagName !== 'SCRIPT')"
            ".map(e => [e.id || e.tagName, e.inert])"
        )
        assert [name for name, is_inert in inert if not is_inert] == ["session-timeout"]
        page.get_by_role("button", name="Продлить сеанс").click()
        page.wait_for_selector("#session-timeout", state="hidden")
        assert page.evaluate("() => document.querySelector('main').inert") is False
    finally:
        context.close()
