"""Issue 6 point 5: CSP, Permissions-Policy, never-cache, cookies, staff on the citizens' page,
clearsessions on beat, secrets out of the access log."""

from __future__ import annotations

import datetime
import hashlib
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.security.access_log import RedactingAccessLogger
from accounts.tests.admin_helpers import standard_citizen_make, verification_make, verified_staff_client
from portal.tests.test_settings import _manage, _production_env

pytestmark = pytest.mark.django_db


class _InlineFinder(HTMLParser):
    """Inline code the policy would block: <script>/<style> without src or nonce, style="" attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and "nonce" not in attributes:
            self.blocked.append("inline <script>")
        if tag == "style" and "nonce" not in attributes:
            self.blocked.append("<style> without nonce")
        if "style" in attributes:
            self.blocked.append(f'<{tag} style="…">')
        self.blocked.extend(f"<{tag} {name}=…>" for name in attributes if name.startswith("on"))


def _csp_blocked(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.blocked


def _nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    return match.group(1) if match else ""


def test_every_html_page_has_a_strict_csp_and_nothing_inline(client, citizen):
    pages = [reverse("home"), reverse("accounts:login"), reverse("accounts:register")]
    for url in pages:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert re.search(r"script-src 'self'( 'nonce-[^']+')?(;|$)", policy)
        assert re.search(r"style-src 'self'( 'nonce-[^']+')?(;|$)", policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert _csp_blocked(response.content.decode()) == [], url
    client.force_login(citizen)
    for url in (reverse("cabinet"), reverse("accounts:identity"), reverse("notifications:inbox")):
        response = client.get(url)
        assert _csp_blocked(response.content.decode()) == [], url


def test_the_verifiers_page_styles_carry_the_responses_nonce(verifier):
    applicant = standard_citizen_make()
    verification = verification_make(user=applicant)
    response = verified_staff_client(verifier).get(
        reverse("admin:accounts_identityverification_change", args=[verification.pk])
    )
    assert response.status_code == 200
    assert f'<style nonce="{_nonce(response)}">' in response.content.decode()
    assert _csp_blocked(response.content.decode()) == []


def test_permissions_policy_allows_only_the_camera_and_microphone_here(client):
    policy = client.get(reverse("home"))["Permissions-Policy"]
    assert "camera=(self)" in policy and "microphone=(self)" in policy
    assert "geolocation=()" in policy and "payment=()" in policy


def test_pages_for_a_logged_in_person_are_never_cached(client, citizen):
    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")
    client.force_login(citizen)
    for url in (reverse("home"), reverse("cabinet"), reverse("notifications:inbox")):
        cache_control = client.get(url)["Cache-Control"]
        assert {"no-cache", "no-store", "must-revalidate", "private"} <= {
            part.strip().split("=")[0] for part in cache_control.split(",")
        }, url


def test_production_language_cookie_is_secure_and_http_only(tmp_path):
    code = "from django.conf import settings as s; print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY)"
    result = _manage(["shell", "--settings=portal.settings.production", "-c", code], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True True"


@pytest.mark.parametrize("url_name", ["accounts:security", "accounts:security_reauth", "accounts:security_totp_add"])
def test_staff_cannot_enrol_factors_on_the_citizens_page(url_name, reviewer):
    client = verified_staff_client(reviewer)
    assert client.get(reverse(url_name)).status_code == 403


def test_clearsessions_runs_on_beat_and_deletes_expired_sessions(settings, client, citizen):
    from accounts.tasks import sessions_clear_expired_task

    assert settings.CELERY_BEAT_SCHEDULE["accounts-sessions-clear-expired"]["task"] == (
        "accounts.tasks.sessions_clear_expired_task"
    )
    client.force_login(citizen)
    live = Session.objects.get()
    Session.objects.create(
        session_key="expired-one", session_data="x", expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    sessions_clear_expired_task()
    sessions_clear_expired_task()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def _access_line(path: str, query: str = "", referer: str = "-") -> dict:
    logger = RedactingAccessLogger.__new__(RedactingAccessLogger)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}" if query else path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_REFERER": referer,
        "REMOTE_ADDR": "203.0.113.7",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger._get_user = lambda environ: None
    logger.now = lambda: "[01/Dec/2026:03:00:00 +0000]"
    return logger.atoms(response, request, environ, datetime.timedelta(seconds=0))


def test_tokens_and_snils_never_reach_the_access_log():
    token = "eyJ1IjoxLCJkIjoyLCJ0IjoxNzAwMDAwMDAwfQ:1vQ3Xy:abcdefghijklmnopqrstuvwxyz0123456789"
    atoms = _access_line(
        f"/accounts/not-me/{token}/",
        query="q=112-233-445+95&page=2",
        referer=f"https://oms.example.ru/accounts/register/email/{token}/",
    )
    text = " ".join(str(value) for value in atoms.values())
    assert token not in text
    assert "112-233-445" not in text and "11223344595" not in text
    token_hash = "h:" + hashlib.sha256(token.encode()).hexdigest()[:12]
    snils_hash = "h:" + hashlib.sha256(b"112-233-445 95").hexdigest()[:12]
    page_hash = "h:" + hashlib.sha256(b"2").hexdigest()[:12]
    assert atoms["r"] == f"GET /accounts/not-me/{token_hash}/?q={snils_hash}&page={page_hash} HTTP/1.1"
    assert atoms["f"].startswith("https://oms.example.ru/accounts/register/email/h:")
    # Ordinary paths stay readable.
    assert _access_line("/cabinet/requests/12345678903/")["U"] == "/cabinet/requests/12345678903/"


def test_the_procfile_uses_the_redacting_logger():
    from django.conf import settings

    procfile = (settings.BASE_DIR / "Procfile").read_text()
    assert "--logger-class accounts.security.access_log.RedactingAccessLogger" in procfile
