"""Password reset by an e-mail link (Django's token generator), sent through the notifications outbox.

The request page does no lookup (password_reset_request hands the address to a task), so known and
unknown addresses take the same time. After a new password is set nobody is logged in
automatically: the person logs in with the new password and still passes the second factor.
Setting the password ends every other session (and logins past the password step) and lifts the
password-step lock-outs of that account (the remote way back from a lock-out).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.constants import AuditEventKind
from accounts.models import User
from accounts.services import audit_record
from common.counters import counter_hit


def password_reset_url(*, user: User) -> str:
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


def password_reset_request(*, email: str, ip_address: str | None) -> None:
    """Someone asked for a reset link for `email`: hand it to a task, whether or not it is registered.

    The page must answer alike and in the same time for known and unknown addresses, so the request
    does no lookup and writes nothing: it only schedules password_reset_email_task after commit
    (the task finds the account and sends). Per address, at most PASSWORD_RESET_LIMIT_PER_IP_PER_HOUR
    requests are passed on; the rest are dropped silently (the page still answers alike).
    """
    from accounts.tasks import password_reset_email_task
    from common.tasking import enqueue_on_commit

    if ip_address:
        count = counter_hit(f"password-reset:ip:{ip_address}", window_seconds=3600)
        if count > settings.PASSWORD_RESET_LIMIT_PER_IP_PER_HOUR:
            return
    enqueue_on_commit(password_reset_email_task, email.strip().lower())


def password_reset_email_send(*, email: str) -> int:
    """E-mail a reset link to each active account with a usable password at `email`; how many were sent.

    At most PASSWORD_RESET_LIMIT_PER_ACCOUNT_PER_HOUR links an hour per account: the form can't be
    used to flood a citizen's mailbox. Safe to run twice (a second run sends another valid link).
    """
    sent = 0
    for user in User.objects.filter(email=email.strip(), is_active=True):
        if not user.has_usable_password():
            continue
        count = counter_hit(f"password-reset:user:{user.pk}", window_seconds=3600)
        if count > settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT_PER_HOUR:
            continue
        password_reset_send(user=user)
        sent += 1
    return sent


@transaction.atomic
def password_reset_completed(*, user: User, request: HttpRequest | None) -> None:
    """After a new password: end every session, lift the login lock-out, record it."""
    from axes.utils import reset as axes_reset

    from accounts.login.lockout import account_guessing_reset
    from accounts.login.services import sessions_end_everywhere

    sessions_end_everywhere(user=user, request=request, keep_current=False)
    axes_reset(username=f"user:{user.pk}")
    account_guessing_reset(username=f"user:{user.pk}")
    audit_record(kind=AuditEventKind.PASSWORD_RESET, request=request, actor=None, subject=user)
