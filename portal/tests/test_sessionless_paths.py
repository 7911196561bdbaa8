"""The browser's own requests (service worker updates, the manifest) do not move the idle timeout."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest"])
def test_browser_requests_do_not_extend_the_session(path, client, citizen, settings):
    # Every request of the person would save the session now (accounts.middleware.SessionRefreshMiddleware).
    settings.SESSION_REFRESH_SECONDS = 0
    client.force_login(citizen)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    expires = Session.objects.get(session_key=key).expire_date
    response = client.get(path)
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.get(session_key=key).expire_date == expires
    # A page the person opens does move it.
    client.get("/cabinet/")
    assert Session.objects.get(session_key=key).expire_date > expires
