"""Requests the browser makes on its own must not count as the person's activity."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The service worker script (the browser re-fetches it to look for updates, on every navigation and
# in the background), the web app manifest and the probes: none of them needs the session, and with
# SESSION_SAVE_EVERY_REQUEST each would move the idle timeout forward without the person doing anything.
SESSIONLESS_PATHS = frozenset({"/sw.js", "/manifest.webmanifest", "/healthz", "/readyz"})


class SessionlessPathsMiddleware:
    """Before SessionMiddleware: drop the session cookie from requests for SESSIONLESS_PATHS, so the
    session is neither loaded nor saved (and the cookie is left as it is in the browser)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in SESSIONLESS_PATHS:
            request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)
        return self.get_response(request)
