"""Session limits the idle timeout alone does not give: the 12-hour cap and «выйти на всех устройствах»;
and the idle timeout itself without a database write on every request.

The idle timeout (30 minutes) is Django's own: SESSION_COOKIE_AGE from the session's last save, and
an expired session row is not loaded. SessionRefreshMiddleware saves the session when its last save
is SESSION_REFRESH_SECONDS old, so the expiry trails the last request by at most that much.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

# Seconds since the epoch when the person passed both factors (set by accounts.login.services).
SESSION_LOGIN_AT_KEY = "login_at"
# Seconds since the epoch of the session's last save by SessionRefreshMiddleware (or any save).
SESSION_REFRESHED_AT_KEY = "refreshed_at"


def session_refresh_seconds() -> int:
    """How stale the saved expiry may get: SESSION_REFRESH_SECONDS, at most a tenth of the idle timeout."""
    return min(settings.SESSION_REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10)


class SessionRefreshMiddleware:
    """Move an existing session's idle expiry forward, writing it at most once per refresh interval.

    Sits right after SessionMiddleware, so its response half runs before the session is saved.
    Django saves a session when it is marked modified; this marks it when the last save is at least
    session_refresh_seconds() old (and notes the time of any save that happens anyway). Visitors
    without a session cookie get no session from here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None:
            return response  # no cookie, or logged out just now (the flushed session stays empty)
        refreshed_at = session.get(SESSION_REFRESHED_AT_KEY)  # loads the session
        if session.session_key is None:
            return response  # the cookie named no live session (expired, unknown): make none
        now = timezone.now().timestamp()
        stale = not isinstance(refreshed_at, int | float) or now - refreshed_at >= session_refresh_seconds()
        if stale or session.modified:
            session[SESSION_REFRESHED_AT_KEY] = now
        return response


def session_login_at(request: HttpRequest) -> float:
    """When this session logged in; a session without the mark (an older one) starts counting now."""
    value = request.session.get(SESSION_LOGIN_AT_KEY)
    if not isinstance(value, int | float):
        value = timezone.now().timestamp()
        request.session[SESSION_LOGIN_AT_KEY] = value
    return float(value)


class SessionLimitsMiddleware:
    """Log out a session older than SESSION_ABSOLUTE_SECONDS or started before sessions_valid_after.

    Runs after AuthenticationMiddleware; the request then goes on as anonymous, so pages that need
    an account send the person to the login page with ?next=, and logging in brings them back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = session_login_at(request)
            now = timezone.now().timestamp()
            ended_everywhere = (
                user.sessions_valid_after is not None and login_at < user.sessions_valid_after.timestamp()
            )
            if ended_everywhere or now - login_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(
                    request,
                    _("Сеанс завершён на всех устройствах. Войдите снова.")
                    if ended_everywhere
                    else _("Сеанс длился дольше 12 часов и завершён. Войдите снова."),
                )
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a request whose body is larger than anyone could need, before any of it is read.

    documents.uploads.SizeLimitedUploadHandler cuts off each oversized file, and
    DATA_UPLOAD_MAX_MEMORY_SIZE bounds the non-file fields, but neither bounds the sum: one POST
    with many files just under the limit would still reach the disk. Django reads the body only up
    to CONTENT_LENGTH, so checking that header is enough. Nobody who is not logged in uploads files,
    so anonymous requests get the small ANONYMOUS_REQUEST_MAX_BYTES; logged-in ones
    REQUEST_MAX_BYTES (one video plus the form around it). Runs after AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        user = getattr(request, "user", None)
        logged_in = user is not None and user.is_authenticated
        limit = settings.REQUEST_MAX_BYTES if logged_in else settings.ANONYMOUS_REQUEST_MAX_BYTES
        if length > limit:
            from django.shortcuts import render

            return render(request, "413.html", {"limit": limit}, status=413)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Headers every response gets: Permissions-Policy, and «never cache» for anyone logged in.

    - Permissions-Policy (settings.PERMISSIONS_POLICY): the portal uses the camera and microphone
      (identity video, this origin only) and nothing else a browser can grant.
    - A page rendered for a logged-in person carries their data; on a shared computer the browser's
      back button or cache must not show it after logout. Views that set Cache-Control themselves
      (static files, downloads with their own rules) keep theirs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
        return response
