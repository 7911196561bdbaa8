"""Password reset by an e-mail link (Django's token generator), sent through the notifications outbox.

After a new password is set nobody is logged in automatically: the person logs in with the new
password and still passes the second factor. Setting the password ends every other session and
lifts the password-step lock-out of that account (the remote way back from a lock-out).
"""

from __future__ import annotations

import secrets

from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.constants import AuditEventKind
from accounts.models import User
from accounts.services import audit_record


def password_reset_url(*, user: User) -> str:
    from django.conf import settings

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def password_reset_send(*, user: User) -> None:
    """E-mail `user` a one-hour link to set a new password (sensitive: erased after sending)."""
    from notifications.services import notify

    notify(
        user=user,
        event="password_reset",
        context={"reset_url": password_reset_url(user=user)},
        dedupe_key=f"password_reset:{user.pk}:{secrets.token_hex(8)}",
        inbox=False,
        email=True,
        sms=False,
        sensitive=True,
    )


def password_reset_completed(*, user: User, request: HttpRequest | None) -> None:
    """After a new password: end every session, lift the login lock-out, record it."""
    from axes.utils import reset as axes_reset

    from accounts.lockout import account_guessing_reset
    from accounts.login_services import sessions_end_everywhere

    sessions_end_everywhere(user=user, request=request, keep_current=False)
    axes_reset(username=f"user:{user.pk}")
    account_guessing_reset(username=f"user:{user.pk}")
    audit_record(kind=AuditEventKind.PASSWORD_RESET, request=request, actor=None, subject=user)
