"""Registration: ФИО, phone, e-mail and password; the phone proved by an SMS code, the e-mail by a link.

No account enumeration. Whether or not the phone or the e-mail is already registered, the person
sees the same pages in the same order: «введите код из SMS», then «телефон подтверждён, откройте
письмо». That is possible because nothing is written before the phone is proved: the registration
waits in the (server-side) session — the typed data, the password's hash and the code's keyed hash —
and the account is created only when the right code comes back. When the phone is already
registered the code goes to nobody (its owner gets «Кто-то пытался зарегистрироваться…» instead),
so no code can ever be right and no account is created. When the e-mail is taken, its owner is
told and no account is created either, though the phone's owner still gets their code — otherwise
the missing SMS would tell them the e-mail is registered.

Why the code's hash sits in the session and not in accounts.ContactConfirmation: that row needs a
user, and creating one before the phone is proved would let anyone squat a stranger's number or
address. Once the account exists, the phone's proof and the e-mail link are ContactConfirmation
rows like any other.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import AuditEventKind, IdentityLevel
from accounts.contact.codes import code_check, contact_code_generate, contact_code_hash, contact_code_matches
from accounts.contact.services import (
    Channel,
    Purpose,
    ResendTooSoon,
    contact_owner_tell_attempt,
    email_link_send,
    mask_email,
)
from accounts.language.services import user_language_from_request
from accounts.models import ContactConfirmation, User
from accounts.security.sms_limits import sms_send_allowed
from accounts.services import audit_record, mask_phone, request_ip, sms_code_send

SESSION_PENDING = "registration_pending"
SESSION_DONE = "registration_done"

__all__ = [
    "ResendTooSoon",
    "registration_code_confirm",
    "registration_code_resend",
    "registration_done",
    "registration_pending",
    "registration_start",
]


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.get_current_timezone())


def registration_pending(*, request: HttpRequest) -> dict[str, Any] | None:
    """The registration waiting for its SMS code in this session, or None (none, or abandoned)."""
    pending = request.session.get(SESSION_PENDING)
    if not pending:
        return None
    if timezone.now() - _at(pending["started_at"]) > timedelta(seconds=settings.REGISTRATION_PENDING_SECONDS):
        request.session.pop(SESSION_PENDING, None)
        return None
    return pending


def registration_done(*, request: HttpRequest) -> dict[str, Any] | None:
    return request.session.get(SESSION_DONE)


def registration_resend_seconds_left(*, pending: dict[str, Any]) -> int:
    waited = (timezone.now() - _at(pending["sent_at"])).total_seconds()
    return max(0, math.ceil(settings.SMS_CODE_RESEND_SECONDS - waited))


def registration_start(
    *,
    request: HttpRequest,
    last_name: str,
    first_name: str,
    patronymic: str,
    phone: str,
    email: str,
    password: str,
) -> dict[str, Any]:
    """Begin a registration: keep it in the session and send the code (or tell the owners).

    Before: the form has checked the shape (names, E.164 phone, e-mail, password validators).
    Raises SmsRateLimited, before anything is sent or kept, when a phone/IP/day limit is used up.
    Changes: the session holds the pending registration; no user row is written. Schedules one SMS
    (the code to a new phone, or «Кто-то пытался…» to a registered one's owner) and, for a
    registered e-mail, a notice to its owner.
    """
    sms_send_allowed(phone=phone, ip_address=request_ip(request))
    now = timezone.now()
    pending_id = secrets.token_hex(8)
    code = contact_code_generate()
    pending = {
        "id": pending_id,
        "last_name": last_name,
        "first_name": first_name,
        "patronymic": patronymic,
        "phone": phone,
        "email": email,
        "password_hash": make_password(password),
        "code_hash": contact_code_hash(purpose=Purpose.REGISTRATION, target=phone, code=code),
        "sent_at": _ts(now),
        "started_at": _ts(now),
        "failed": 0,
        "sends": 1,
    }
    phone_owner = User.objects.filter(phone=phone).first()
    email_owner = User.objects.filter(email=email).first()
    with transaction.atomic():
        if phone_owner is None:
            _code_send(phone=phone, code=code, key=f"{pending_id}:1")
        else:
            contact_owner_tell_attempt(owner=phone_owner, channel=Channel.PHONE, key=f"registration:{pending_id}")
        if email_owner is not None:
            contact_owner_tell_attempt(owner=email_owner, channel=Channel.EMAIL, key=f"registration:{pending_id}")
    request.session.pop(SESSION_DONE, None)
    request.session[SESSION_PENDING] = pending
    return pending


def _code_send(*, phone: str, code: str, key: str) -> None:
    sms_code_send(user=None, event="registration_code", code=code, dedupe_key=f"registration_code:{key}", phone=phone)


def registration_code_resend(*, request: HttpRequest) -> dict[str, Any]:
    """A new code, at most once per SMS_CODE_RESEND_SECONDS and within the SMS limits.

    Wrong tries are kept while the previous code is alive — a resend must not buy more guesses —
    and start again only when that code expired or its tries were used up (as for login codes).
    Raises ValidationError("no_pending"), ResendTooSoon or SmsRateLimited.
    """
    pending = registration_pending(request=request)
    if pending is None:
        raise ValidationError(_("Регистрация не начата или устарела. Заполните форму заново."), code="no_pending")
    seconds_left = registration_resend_seconds_left(pending=pending)
    if seconds_left > 0:
        raise ResendTooSoon(seconds_left)
    phone = pending["phone"]
    sms_send_allowed(phone=phone, ip_address=request_ip(request))
    now = timezone.now()
    expired = now >= _at(pending["sent_at"]) + timedelta(seconds=settings.SMS_CODE_VALID_SECONDS)
    if expired or pending["failed"] >= settings.SMS_CODE_MAX_FAILURES:
        pending["failed"] = 0
    code = contact_code_generate()
    pending["code_hash"] = contact_code_hash(purpose=Purpose.REGISTRATION, target=phone, code=code)
    pending["sent_at"] = _ts(now)
    pending["sends"] += 1
    # A registered phone's owner was told once; the code itself goes to nobody.
    if not User.objects.filter(phone=phone).exists():
        _code_send(phone=phone, code=code, key=f"{pending['id']}:{pending['sends']}")
    request.session[SESSION_PENDING] = pending
    return pending


def registration_code_confirm(*, request: HttpRequest, code: str) -> User | None:
    """Check the SMS code; when right, create the account (phone confirmed) and send the e-mail link.

    Raises ValidationError: "no_pending", "too_many" (the sixth try is refused even when right),
    "expired" (after 10 minutes), "invalid" (wrong; says how many tries are left).
    Returns the new user, or None when the e-mail (or, after a race, the phone) turned out to be
    registered: the person is shown the same next page either way. Audits REGISTERED. Schedules the
    e-mail with the link (registration_email).
    """
    pending = registration_pending(request=request)
    if pending is None:
        raise ValidationError(_("Регистрация не начата или устарела. Заполните форму заново."), code="no_pending")
    phone = pending["phone"]
    # A registered phone's code was never sent: no answer may count as right, however lucky.
    phone_free = not User.objects.filter(phone=phone).exists()
    matches = phone_free and contact_code_matches(
        purpose=Purpose.REGISTRATION, target=phone, code=code, code_hash=pending["code_hash"]
    )

    def count_failure() -> int:
        pending["failed"] += 1
        request.session[SESSION_PENDING] = pending
        return pending["failed"]

    code_check(
        failed_attempts=pending["failed"],
        expires_at=_at(pending["sent_at"]) + timedelta(seconds=settings.SMS_CODE_VALID_SECONDS),
        matches=matches,
        on_failure=count_failure,
    )
    user = _account_create(pending=pending, request=request)
    request.session.pop(SESSION_PENDING, None)
    request.session[SESSION_DONE] = {"email": pending["email"], "phone_masked": mask_phone(phone)}
    return user


def _account_create(*, pending: dict[str, Any], request: HttpRequest) -> User | None:
    now = timezone.now()
    email = pending["email"]
    if User.objects.filter(email=email).exists():
        return None  # its owner was told when the registration began
    try:
        with transaction.atomic():
            user = User(
                email=email,
                phone=pending["phone"],
                last_name=pending["last_name"],
                first_name=pending["first_name"],
                patronymic=pending["patronymic"],
                identity_level=IdentityLevel.SIMPLIFIED,
                phone_confirmed_at=now,
                password=pending["password_hash"],
                # The language of the pages they registered in is the language of their messages.
                language=user_language_from_request(request=request),
            )
            user.save()
            ContactConfirmation.objects.create(
                user=user,
                channel=Channel.PHONE,
                purpose=Purpose.REGISTRATION,
                target=pending["phone"],
                sent_at=_at(pending["sent_at"]),
                expires_at=_at(pending["sent_at"]) + timedelta(seconds=settings.SMS_CODE_VALID_SECONDS),
                failed_attempts=pending["failed"],
                confirmed_at=now,
            )
            audit_record(
                kind=AuditEventKind.REGISTERED,
                request=request,
                actor=user,
                subject=user,
                details={"phone_masked": mask_phone(user.phone), "email_masked": mask_email(email)},
            )
            email_link_send(user=user, purpose=Purpose.REGISTRATION, email=email, event="registration_email")
    except IntegrityError:
        # Someone registered the same phone or e-mail between our check and the insert.
        return None
    return user
