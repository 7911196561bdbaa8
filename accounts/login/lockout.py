"""django-axes hooks: who counts as one login, how long a lock-out lasts, and what the person sees.

- One login, however typed: «+7 916 …», «8916…», the e-mail and the SNILS of one account are the
  same key («user:<id>»), so a guesser can't get five more tries by writing the phone differently.
  An unknown login is counted by its normalised text, exactly as often, so the lock-out behaves the
  same for known and unknown logins (no account enumeration).
- Cool-off tiers: 15 minutes for the first lock-out of a login within a day, 1 hour for the second,
  6 hours from the third (NIST 800-63B §5.2.2 asks for rate limiting, not a permanent lock that an
  attacker could use to shut a citizen out).
- The lock-out page says why, until when, and the remote ways back (reset link by e-mail, a backup
  code), never only «обратитесь в МФЦ».
"""

from __future__ import annotations

import ipaddress
import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.backends import user_find_by_login
from accounts.constants import AuditEventKind

COOL_OFF_TIERS = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=6))
_TIER_MEMORY_SECONDS = 24 * 60 * 60


def _raw_login(request: HttpRequest | None, credentials: dict | None) -> str:
    if credentials:
        for key, value in credentials.items():
            if str(key) in {"username", "email"} and value:
                return str(value)
    if request is not None and request.method == "POST":
        return str(request.POST.get("username", ""))
    return ""


def login_key(raw: str) -> str:
    """The axes username for what the person typed: «user:<id>» for an account, else the text."""
    raw = (raw or "").strip()
    user = user_find_by_login(raw) if raw else None
    if user is not None:
        return f"user:{user.pk}"
    return raw.lower()[:200]


def axes_username(request: HttpRequest | None, credentials: dict | None = None) -> str:
    raw = _raw_login(request, credentials)
    cached = getattr(request, "_axes_login_key", None) if request is not None else None
    if cached is not None and cached[0] == raw:
        return cached[1]
    key = login_key(raw)
    if request is not None:
        request._axes_login_key = (raw, key)  # type: ignore[attr-defined]
    return key


def client_ip(request: HttpRequest) -> str | None:
    """The citizen's address (AXES_CLIENT_IP_CALLABLE; also the audit log's and the SMS limits').

    With AXES_IPWARE_PROXY_COUNT (env PROXY_COUNT) trusted proxies in front, REMOTE_ADDR is our own
    proxy, and the client's address is the PROXY_COUNT-th entry of X-Forwarded-For counted from the
    right (the entries left of it were typed by the client and can be forged). Without proxies the
    header is ignored. django-ipware is not installed, so axes itself would read REMOTE_ADDR only and
    every citizen behind the proxy would share one address (one lock-out for all, one SMS limit).
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


# --- the backup-code page («пароль + резервный код»), which bypasses axes on purpose ----------------


def _backup_key(username: str, ip_address: str | None) -> str:
    return f"backup-login:failures:{login_key(username)}:{ip_address or '-'}"


def backup_login_locked_until(*, username: str, ip_address: str | None) -> datetime | None:
    """When this login may try the backup-code page again from this address; None: it may now.

    The page exists to lift axes' lock, so axes can't guard it: it counts its own failures per
    login + address (as axes does), never per account, so a stranger can't lock the owner out.
    """
    value = cache.get(_backup_key(username, ip_address))
    if not isinstance(value, dict) or value.get("count", 0) < settings.AXES_FAILURE_LIMIT:
        return None
    until = datetime.fromtimestamp(float(value["until"]), tz=timezone.get_current_timezone())
    return until if until > timezone.now() else None


def backup_login_failures(*, username: str, ip_address: str | None) -> int:
    """How many wrong passwords or backup codes this login typed on the backup-code page from here."""
    value = cache.get(_backup_key(username, ip_address))
    return int(value.get("count", 0)) if isinstance(value, dict) else 0


def backup_login_failed(*, username: str, ip_address: str | None) -> None:
    """Count one wrong password or backup code on the backup-code page (15-minute window).

    It also counts against the login's limit across addresses (account_guessing_failed): the page
    must not be a second, unlimited door for guessing the password.
    """
    account_guessing_failed(username=username)
    window = COOL_OFF_TIERS[0]
    key = _backup_key(username, ip_address)
    value = cache.get(key)
    count = (value.get("count", 0) if isinstance(value, dict) else 0) + 1
    until = timezone.now() + window
    cache.set(key, {"count": count, "until": until.timestamp()}, timeout=int(window.total_seconds()))


def backup_login_succeeded(*, username: str, ip_address: str | None) -> None:
    cache.delete(_backup_key(username, ip_address))
    account_guessing_reset(username=username)


def _tier_key(username: str, ip_address: str | None) -> str:
    # Per login AND address, like the lock itself: a guesser's lock-outs lengthen only their own
    # cool-off, never the one the owner gets after mistyping from home.
    return f"axes:lockouts:{username}:{ip_address or '-'}"


def axes_cool_off(request: HttpRequest | None = None) -> timedelta:
    """The cool-off for the login in this request: longer after each lock-out within a day."""
    username = axes_username(request) if request is not None else ""
    ip_address = client_ip(request) if request is not None else None
    tier = int(cache.get(_tier_key(username, ip_address)) or 1) if username else 1
    return COOL_OFF_TIERS[min(max(tier, 1), len(COOL_OFF_TIERS)) - 1]


# --- the per-account limit across addresses -----------------------------------------------------


def _account_failures_key(username: str) -> str:
    return f"login:account-failures:{login_key(username)}"


def _known_browser(request: HttpRequest, username: str) -> bool:
    from accounts.login.services import known_device_recognised

    user = user_find_by_login(username)
    return user is not None and known_device_recognised(request=request, user=user)


def account_guessing_locked_until(*, request: HttpRequest, username: str) -> datetime | None:
    """When password guessing against this login from many addresses stops being refused; None: now.

    axes counts per login + address, so a botnet gets AXES_FAILURE_LIMIT tries from every address.
    This counts every checked password and backup code for the login, whatever the address
    (LOGIN_ACCOUNT_FAILURE_LIMIT in LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS). A browser the account
    has logged in from before (its known-device cookie) is let through, so guessers can't lock the
    owner out of their own computer. Unknown logins are counted by their text, exactly alike.
    """
    value = cache.get(_account_failures_key(username))
    if not isinstance(value, dict) or value.get("count", 0) < settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
        return None
    until = datetime.fromtimestamp(float(value["since"]) + settings.LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS, tz=UTC)
    if until <= timezone.now() or _known_browser(request, username):
        return None
    return until


def account_guessing_failed(*, username: str) -> int:
    """Count one wrong password or backup code for this login, from any address; the new count."""
    window = settings.LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS
    key = _account_failures_key(username)
    value = cache.get(key)
    if not isinstance(value, dict):
        value = {"count": 0, "since": timezone.now().timestamp()}
    value["count"] += 1
    left = max(1, int(value["since"] + window - timezone.now().timestamp()))
    cache.set(key, value, timeout=left)
    return value["count"]


def account_guessing_failures(*, username: str) -> int:
    """How many wrong passwords and backup codes this login had, from any address, in the window."""
    value = cache.get(_account_failures_key(username))
    return int(value.get("count", 0)) if isinstance(value, dict) else 0


def account_guessing_reset(*, username: str) -> None:
    cache.delete(_account_failures_key(username))


def lockout_until(*, username: str, ip_address: str | None, cool_off: timedelta) -> datetime | None:
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.filter(username=username, ip_address=ip_address).order_by("-attempt_time").first()
    return attempt.attempt_time + cool_off if attempt is not None else None


def password_failures(*, username: str, ip_address: str | None) -> int:
    """Wrong passwords axes holds for this login from this address (one row per browser: summed)."""
    from axes.models import AccessAttempt
    from django.db.models import Sum

    rows = AccessAttempt.objects.filter(username=username, ip_address=ip_address)
    return int(rows.aggregate(total=Sum("failures_since_start"))["total"] or 0)


def axes_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """Render the lock-out page; on the failure that caused the lock, raise the tier and audit it."""
    from accounts.services import audit_record

    username = axes_username(request, credentials)
    just_locked = getattr(request, "axes_failures_since_start", None) is not None
    if just_locked:
        key = _tier_key(username, getattr(request, "axes_ip_address", None) or client_ip(request))
        if cache.get(key) is None:
            cache.set(key, 1, timeout=_TIER_MEMORY_SECONDS)
        else:
            cache.incr(key)
            cache.touch(key, _TIER_MEMORY_SECONDS)
        user = user_find_by_login(_raw_login(request, credentials))
        audit_record(
            kind=AuditEventKind.LOCKED_OUT,
            request=request,
            actor=None,
            subject=user,
            details={"step": "password", "failures": request.axes_failures_since_start},
        )
    cool_off = axes_cool_off(request)
    ip_address = getattr(request, "axes_ip_address", None)
    until = lockout_until(username=username, ip_address=ip_address, cool_off=cool_off)
    if until is None:
        until = timezone.now() + cool_off
    failures = request.axes_failures_since_start if just_locked else None
    context = lockout_context(
        until=until, reason="password", failures=failures or password_failures(username=username, ip_address=ip_address)
    )
    return render(request, "accounts/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def lockout_context(*, until: datetime, reason: str, failures: int) -> dict:
    """What the lock-out page shows: the tries really counted and the real time left, never a setting.

    The limit is only the count at the moment of the lock; tries from other browsers, the
    backup-code page and requests racing past the check make the real count differ.
    """
    seconds_left = max(0, (until - timezone.now()).total_seconds())
    return {
        "locked_until": until,
        "reason": reason,
        "failures": failures,
        "minutes_left": max(1, math.ceil(seconds_left / 60)),
    }
