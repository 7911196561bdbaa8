"""Writes for accounts. Audit first: every security event goes through audit_record()."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.constants import AuditEventKind
from accounts.models import AuditEvent, User

# Keys that must never reach the audit log, whatever a caller passes.
_FORBIDDEN_DETAIL_KEYS = {"password", "code", "token", "otp", "phone", "passport", "passport_number", "snils"}


def request_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def mask_phone(phone: Any) -> str:
    """+7 912 345-67-89 -> +7 *** ***-**-89: enough for a person to recognise, no more."""
    text = str(phone or "")
    return f"{text[:2]} *** ***-**-{text[-2:]}" if len(text) >= 6 else "***"


def audit_record(
    *,
    kind: AuditEventKind,
    request: HttpRequest | None = None,
    actor: User | None = None,
    subject: User | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one security event. Details with forbidden keys are refused, not silently dropped."""
    details = dict(details or {})
    leaked = _FORBIDDEN_DETAIL_KEYS & set(details)
    if leaked:
        raise ValueError(f"audit details must not contain {sorted(leaked)}")
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        subject=subject or actor,
        ip_address=request_ip(request),
        user_agent=user_agent,
        details=details,
    )


def sms_code_send(*, user: User | None, event: str, code: str, dedupe_key: str, phone: str | None = None) -> None:
    """Schedule a one-time code by SMS: to `phone`, or to the user's phone when None.

    Shared by registration, the change of phone and the login's second factor, so that every code
    goes the same way: by SMS only (never to the inbox or by e-mail), and sensitive — the outbox
    erases the text once it is sent. Call inside the transaction that stored the code's hash.
    """
    from notifications.services import notify

    notify(
        user=user,
        event=event,
        context={"code": code},
        dedupe_key=dedupe_key,
        inbox=False,
        email=False,
        sms=True,
        phone_to=phone,
        sensitive=True,
    )


def sessions_expired_purge() -> None:
    """Delete expired sessions (Django never does it itself; `clearsessions` on beat, daily)."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
