"""Login in two steps, sessions, known browsers and «Это был не я».

Nothing here makes an authenticated session until both the password and a second factor passed:
the password step only leaves a *pending* login in the (anonymous) session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import django_otp
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import login, logout
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device

from accounts.backends import LoginBackend, user_find_by_login
from accounts.constants import AuditEventKind
from accounts.login.lockout import account_guessing_failed, backup_login_failed, backup_login_succeeded, login_key
from accounts.middleware import SESSION_LOGIN_AT_KEY
from accounts.models import KnownDevice, User
from accounts.security.second_factor import device_method, second_factor_verify
from accounts.services import audit_record, request_ip

PENDING_KEY = "pending_login"
REAUTH_KEY = "reauth_at"
_NOT_ME_SALT = "accounts.not-me"


@dataclass(frozen=True)
class PendingLogin:
    user: User
    backend: str
    started_at: datetime
    next_url: str


# --- pending login (between the password and the second factor) -------------------------------


def pending_login_start(*, request: HttpRequest, user: User, next_url: str) -> None:
    """Remember that `user` passed the password step; the session stays anonymous.

    The session key changes here too, so a key planted before the password can't be carried on.
    """
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": getattr(user, "backend", "accounts.backends.LoginBackend"),
        "at": timezone.now().timestamp(),
        "next": next_url,
    }


def pending_login_get(*, request: HttpRequest) -> PendingLogin | None:
    """The pending login, or None when there is none or it is older than LOGIN_PENDING_SECONDS."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    started = float(data.get("at", 0))
    if timezone.now().timestamp() - started > settings.LOGIN_PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=data.get("user_id"), is_active=True).first()
    # A password reset or «Это был не я» after the password step ends this half-done login too.
    ended = user is not None and user.sessions_valid_after and started < user.sessions_valid_after.timestamp()
    if user is None or ended:
        request.session.pop(PENDING_KEY, None)
        return None
    return PendingLogin(
        user=user,
        backend=str(data.get("backend")),
        started_at=datetime.fromtimestamp(started, tz=timezone.get_current_timezone()),
        next_url=str(data.get("next") or ""),
    )


def pending_login_clear(*, request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def login_complete(*, request: HttpRequest, response_factory, pending: PendingLogin, device: Device) -> HttpResponse:
    """Both factors passed: log in (new session key), bind the OTP device, audit, check the browser.

    `response_factory()` builds the redirect; the known-device cookie is set on it. Schedules the
    new-device alert (SMS + e-mail) when this browser is new for the user.
    """
    pending_login_clear(request=request)
    login(request, pending.user, backend=pending.backend)
    django_otp.login(request, device)
    request.session[SESSION_LOGIN_AT_KEY] = timezone.now().timestamp()
    # Password and second factor were just typed: the «Безопасность» page need not ask again for
    # REAUTH_VALID_SECONDS (a later mark, e.g. from «Выйти на всех устройствах», does not count).
    reauth_mark(request=request)
    audit_record(
        kind=AuditEventKind.LOGIN, request=request, actor=pending.user, details={"method": device_method(device)}
    )
    response = response_factory()
    known_device_check(request=request, response=response, user=pending.user)
    return response


def logout_complete(*, request: HttpRequest) -> None:
    """Audit the logout of a signed-in person, then end this session."""
    if request.user.is_authenticated:
        audit_record(kind=AuditEventKind.LOGOUT, request=request)
    logout(request)


# --- failed steps, and the backup-code way back from a lock-out -------------------------------------


def login_failure_record(*, request: HttpRequest, subject: User | None, details: dict) -> None:
    """Audit one failed login step: a wrong password, second-factor code or backup code."""
    audit_record(kind=AuditEventKind.LOGIN_FAILED, request=request, actor=None, subject=subject, details=details)


def login_password_failed(*, request: HttpRequest, username: str) -> None:
    """A wrong password or an unknown login: count it against the login across addresses, audit it.

    A login that django-axes refused before the password was checked is not counted again.
    """
    if not getattr(request, "axes_locked_out", False):
        account_guessing_failed(username=username)
    login_failure_record(request=request, subject=user_find_by_login(username), details={"step": "password"})


def login_backup_check(*, request: HttpRequest, username: str, password: str, backup_code: str) -> Device | None:
    """The backup-code page: the password, then a backup code; the device, or None for a wrong pair.

    The password is checked straight through the backend (axes would refuse: lifting its lock is what
    this page is for). Without the right password no backup code is checked, so a stranger can neither
    spend the owner's codes nor lock the owner's second factor. On success the lock-outs of this login
    are lifted and a pending login starts (the caller completes it with `login_complete`); on failure
    the try counts (per login + address and across addresses) and is audited. Raises
    SecondFactorLocked when the account's second factor is locked.
    """
    ip_address = request_ip(request)
    user = LoginBackend().authenticate(request, username=username, password=password)
    device = None
    if user is not None:
        device = second_factor_verify(user=user, token=backup_code, request=request, method="backup_code")
    if device is None:
        backup_login_failed(username=username, ip_address=ip_address)
        login_failure_record(request=request, subject=user_find_by_login(username), details={"step": "backup_code"})
        return None
    axes_reset(username=login_key(username))
    backup_login_succeeded(username=username, ip_address=ip_address)
    pending_login_start(request=request, user=user, next_url="")
    return device


# --- re-authentication for the «Безопасность» page -------------------------------------------------


def reauth_mark(*, request: HttpRequest) -> None:
    """The password was typed just now (on the re-auth page, or as part of a full login)."""
    request.session[REAUTH_KEY] = timezone.now().timestamp()


def reauth_is_fresh(*, request: HttpRequest) -> bool:
    value = request.session.get(REAUTH_KEY)
    return isinstance(value, int | float) and timezone.now().timestamp() - value <= settings.REAUTH_VALID_SECONDS


# --- sessions -------------------------------------------------------------------------------------


@transaction.atomic
def sessions_end_everywhere(*, user: User, request: HttpRequest | None, keep_current: bool) -> None:
    """End every session of `user` started before now (the middleware logs them out on their next request).

    With `keep_current`, this browser's session gets a new key and stays logged in.
    """
    now = timezone.now()
    user.sessions_valid_after = now
    user.save(update_fields=["sessions_valid_after"])
    if request is not None and keep_current and request.user.is_authenticated and request.user.pk == user.pk:
        request.session.cycle_key()
        request.session[SESSION_LOGIN_AT_KEY] = now.timestamp()
    audit_record(kind=AuditEventKind.SESSIONS_ENDED, request=request, actor=None, subject=user)


# --- known browsers and the new-device alert -------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def known_device_recognised(*, request: HttpRequest, user: User) -> bool:
    """Whether this browser's known-device cookie belongs to `user` (it has logged in here before)."""
    token = request.COOKIES.get(settings.KNOWN_DEVICE_COOKIE_NAME, "")
    if not token or len(token) > 100:
        return False
    return KnownDevice.objects.filter(user=user, token_hash=_token_hash(token)).exists()


def known_device_check(*, request: HttpRequest, response: HttpResponse, user: User) -> bool:
    """Recognise this browser by its long-lived cookie; when it is new for `user`, alert them.

    Returns True when an alert was scheduled. The cookie holds a random token; only its sha256 is
    stored, so the table can't be used to impersonate a browser.
    """
    name = settings.KNOWN_DEVICE_COOKIE_NAME
    token = request.COOKIES.get(name, "")
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    now = timezone.now()
    if token and KnownDevice.objects.filter(user=user, token_hash=_token_hash(token)).update(last_seen_at=now):
        return False
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = KnownDevice.objects.create(user=user, token_hash=_token_hash(token), user_agent=user_agent)
        new_device_alert(user=user, device=device)
    _known_device_cookie_set(response, token)
    return True


def _known_device_cookie_set(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        settings.KNOWN_DEVICE_COOKIE_NAME,
        token,
        max_age=settings.KNOWN_DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def known_device_remember(*, request: HttpRequest, response: HttpResponse, user: User | None) -> None:
    """The browser that just registered `user` is theirs: remember it without an alert.

    The cookie is set whether or not an account was created (`user` None: the e-mail was taken),
    so the answer to a registration doesn't tell whether an address is registered.
    """
    token = request.COOKIES.get(settings.KNOWN_DEVICE_COOKIE_NAME, "")
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    if user is not None:
        KnownDevice.objects.get_or_create(
            user=user,
            token_hash=_token_hash(token),
            defaults={"user_agent": request.META.get("HTTP_USER_AGENT", "")[:300]},
        )
    _known_device_cookie_set(response, token)


# Order matters: Edge, Opera and Яндекс Браузер also say «Chrome», Chrome also says «Safari»,
# iPhones say «Mac OS X» and Android says «Linux».
_BROWSERS = (
    ("YaBrowser/", "Яндекс Браузер"),
    ("Edg", "Edge"),  # Edg/, EdgA/, EdgiOS/
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def user_agent_describe(user_agent: str) -> str:
    """A browser's User-Agent as a person says it: «Chrome на Linux», «Safari на iPhone».

    The raw header is a wall of tokens nobody can check against their own devices; the alert needs
    only the browser and the system. Unknown parts are said to be unknown rather than guessed.
    """
    text = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in text), "")
    system = next((name for token, name in _SYSTEMS if token in text), "")
    if browser and system:
        return _("%(browser)s на %(system)s") % {"browser": browser, "system": system}
    if browser:
        return browser
    if system:
        return _("браузер на %(system)s") % {"system": system}
    return _("неизвестный браузер")


def not_me_link(*, user: User, device: KnownDevice) -> str:
    # The issue time goes inside the signed value (not TimestampSigner's clock) so that the one
    # clock of the project, timezone.now(), decides the 24 hours.
    value = signing.dumps({"u": user.pk, "d": device.pk, "t": timezone.now().timestamp()}, salt=_NOT_ME_SALT)
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("accounts:not_me", args=[value])


def new_device_alert(*, user: User, device: KnownDevice) -> None:
    """Tell the phone and the e-mail about a login from a new browser, with the «Это был не я» link."""
    from notifications.services import notify

    notify(
        user=user,
        event="new_device_login",
        context={
            "when": timezone.localtime(device.first_seen_at),
            "browser": user_agent_describe(device.user_agent),
            "not_me_url": not_me_link(user=user, device=device),
        },
        dedupe_key=f"new_device_login:{device.pk}",
        inbox=True,
        email=True,
        sms=bool(user.phone and user.phone_confirmed_at),
        # The link ends sessions: treat it like a code and erase the body once sent.
        sensitive=True,
    )


def not_me_load(*, value: str) -> User | None:
    """The user a «Это был не я» link was made for; None when forged, older than 24 h or used already."""
    try:
        data = signing.loads(value, salt=_NOT_ME_SALT)
    except signing.BadSignature:
        return None
    age = timezone.now().timestamp() - float(data.get("t", 0))
    if not 0 <= age <= settings.NOT_ME_LINK_MAX_AGE:
        return None
    # The link works once: not_me_confirm forgets every known browser, the one it names included.
    if not KnownDevice.objects.filter(pk=data.get("d"), user_id=data.get("u")).exists():
        return None
    return User.objects.filter(pk=data.get("u")).first()


@transaction.atomic
def not_me_confirm(*, user: User, request: HttpRequest) -> None:
    """«Это был не я»: end every session, forget known browsers, and e-mail a password-reset link.

    The password is not blanked (that would lock the owner out too); the reset link lets the owner
    set a new one, and the second factor is still asked at the next login.
    """
    from accounts.login.password_reset import password_reset_send

    sessions_end_everywhere(user=user, request=request, keep_current=False)
    KnownDevice.objects.filter(user=user).delete()
    password_reset_send(user=user)
    audit_record(
        kind=AuditEventKind.PASSWORD_RESET, request=request, actor=None, subject=user, details={"via": "not_me"}
    )
