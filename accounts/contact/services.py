"""Proving a phone or a mailbox, and changing them: codes by SMS (accounts.contact.codes), signed links by e-mail.

Shared by registration (accounts.registration.services) and by the change of phone or e-mail.
E-mail links are signed (django.core.signing) and point at a ContactConfirmation row, whose
`confirmed_at` makes each link single-use.

A change of contact (NIST 800-63B §6.1.2.3, «changing the phone or e-mail needs the password and
a second factor, and the old contact is told»): the view checks the password and the second factor
(accounts.security.second_factor), then `contact_change_start` sends a code / link to the NEW contact; only
when that is confirmed does the change take effect, and the OLD contact is told. Staff's change
from the admin is accounts.contact.staff; every change, the citizen's or staff's, ends in
contact_change_finish (level, audit row, the old contact told).
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import AuditEventKind, IdentityLevel
from accounts.contact.codes import code_check, contact_code_generate, contact_code_hash, contact_code_matches
from accounts.models import AuditEvent, ContactConfirmation, User
from accounts.security.second_factor import ResendTooSoon
from accounts.security.sms_limits import sms_owner_notice_allowed, sms_send_allowed
from accounts.services import audit_record, mask_phone, request_ip, sms_code_send
from common.counters import counter_hit

Channel = ContactConfirmation.Channel
Purpose = ContactConfirmation.Purpose

_LINK_SALT = "accounts.contact_services.email-link"


def mask_email(email: str) -> str:
    """anna.ivanova@mail.ru -> a***a@mail.ru: recognisable to its owner, not readable by others."""
    local, _sep, domain = (email or "").partition("@")
    if not domain:
        return "***"
    shown = f"{local[0]}***{local[-1]}" if len(local) > 2 else f"{local[:1]}***"
    return f"{shown}@{domain}"


def identity_level_refresh(*, user: User) -> None:
    """A «упрощённая» account becomes «стандартная» once both the phone and the e-mail are confirmed.

    Never lowers a level: a confirmed identity stays confirmed when a contact changes (the new contact
    is proved before it replaces the old one).
    """
    if user.identity_level == IdentityLevel.SIMPLIFIED and user.phone_confirmed_at and user.email_confirmed_at:
        user.identity_level = IdentityLevel.STANDARD
        user.save(update_fields=["identity_level"])


# --- e-mail links --------------------------------------------------------------------------------


def email_link_send(*, user: User, purpose: str, email: str, event: str) -> ContactConfirmation:
    """Write a ContactConfirmation for `email` and send a signed single-use link to it.

    Earlier unconfirmed links of the same user and purpose stop working (only the newest counts).
    Schedules the e-mail (notifications outbox, sensitive: the body is erased once sent).
    """
    from notifications.services import notify

    now = timezone.now()
    with transaction.atomic():
        ContactConfirmation.objects.filter(
            user=user, channel=Channel.EMAIL, purpose=purpose, confirmed_at=None, expires_at__gt=now
        ).update(expires_at=now)
        confirmation = ContactConfirmation.objects.create(
            user=user,
            channel=Channel.EMAIL,
            purpose=purpose,
            target=email,
            sent_at=now,
            expires_at=now + timedelta(seconds=settings.CONTACT_EMAIL_LINK_MAX_AGE),
        )
        token = signing.dumps({"c": confirmation.pk}, salt=_LINK_SALT, compress=True)
        link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("accounts:email-confirm", args=[token])
        notify(
            user=user,
            event=event,
            context={"link": link, "hours": settings.CONTACT_EMAIL_LINK_MAX_AGE // 3600},
            dedupe_key=f"{event}:{confirmation.pk}",
            inbox=False,
            sms=False,
            email=True,
            email_to=email,
            sensitive=True,
        )
    return confirmation


def email_link_confirmation(*, token: str) -> ContactConfirmation | None:
    """The unconfirmed, unexpired ContactConfirmation a link points at, or None (bad, old or used)."""
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=settings.CONTACT_EMAIL_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    confirmation = (
        ContactConfirmation.objects.select_related("user")
        .filter(pk=data.get("c"), channel=Channel.EMAIL, confirmed_at=None, expires_at__gt=timezone.now())
        .first()
    )
    return confirmation


def email_link_confirm(*, token: str, request: HttpRequest | None) -> ContactConfirmation:
    """Use an e-mail link: registration marks the e-mail confirmed; a change replaces the e-mail.

    Raises ValidationError (code "invalid_link") for a bad, expired or used link, and ("email_taken")
    when the new address was meanwhile taken by another account — the person has just proved they
    hold the mailbox, so saying so reveals nothing to a stranger.
    """
    confirmation = email_link_confirmation(token=token)
    if confirmation is None:
        raise ValidationError(_("Ссылка недействительна: она устарела или уже использована."), code="invalid_link")
    now = timezone.now()
    with transaction.atomic():
        # Single use even when two clicks race: only one conditional update wins.
        claimed = ContactConfirmation.objects.filter(pk=confirmation.pk, confirmed_at=None).update(confirmed_at=now)
        if claimed != 1:
            raise ValidationError(_("Ссылка недействительна: она устарела или уже использована."), code="invalid_link")
        user = User.objects.select_for_update().get(pk=confirmation.user_id)
        if confirmation.purpose == Purpose.REGISTRATION:
            if user.email.lower() != confirmation.target.lower():
                raise ValidationError(
                    _("Ссылка недействительна: она устарела или уже использована."), code="invalid_link"
                )
            user.email_confirmed_at = now
            user.save(update_fields=["email_confirmed_at"])
            identity_level_refresh(user=user)
        else:
            old_email = user.email
            contact_replace(user=user, channel=Channel.EMAIL, value=confirmation.target, now=now)
            contact_change_finish(
                user=user,
                channel=Channel.EMAIL,
                old=old_email,
                new=user.email,
                dedupe_key=f"contact_changed:{confirmation.pk}",
                actor=user,
                request=request,
            )
    confirmation.confirmed_at = now
    return confirmation


# --- change of phone or e-mail -------------------------------------------------------------------


_PASSWORD_FAILURE_LIMIT = 5
_PASSWORD_FAILURE_WINDOW = 15 * 60


def contact_change_password_failures(*, user: User) -> int:
    """Wrong passwords typed on the change form in the last 15 minutes."""
    return int(cache.get(f"contact-change:password-failures:{user.pk}", 0))


def contact_change_password_failed(*, user: User, request: HttpRequest | None) -> int:
    """Count a wrong password; a session someone else got hold of must not be a way to guess it."""
    key = f"contact-change:password-failures:{user.pk}"
    count = counter_hit(key, window_seconds=_PASSWORD_FAILURE_WINDOW)
    audit_record(
        kind=AuditEventKind.LOGIN_FAILED,
        request=request,
        actor=user,
        subject=user,
        details={"step": "contact_change_password", "failures": count},
    )
    return count


def contact_change_password_locked(*, user: User) -> bool:
    return contact_change_password_failures(user=user) >= _PASSWORD_FAILURE_LIMIT


def contact_change_start(*, user: User, channel: str, target: str, request: HttpRequest | None) -> ContactConfirmation:
    """Send a code (phone) or a link (e-mail) to the new contact; nothing changes until it is confirmed.

    Before: the caller has checked the password and the second factor in this request flow.
    When the new contact already belongs to another account, its owner is told instead and the code
    sent to nobody — the page the person sees is the same, so the change form cannot be used to find
    out whose number or address is registered. Raises SmsRateLimited (phone) before sending anything.
    """
    now = timezone.now()
    if channel == Channel.PHONE:
        sms_send_allowed(phone=target, ip_address=request_ip(request))
        taken_by = User.objects.filter(phone=target).exclude(pk=user.pk).first()
        code = contact_code_generate()
        with transaction.atomic():
            contact_change_pending_expire(user=user, channel=channel)
            confirmation = ContactConfirmation.objects.create(
                user=user,
                channel=Channel.PHONE,
                purpose=Purpose.CONTACT_CHANGE,
                target=target,
                code_hash=contact_code_hash(purpose=Purpose.CONTACT_CHANGE, target=target, code=code),
                sent_at=now,
                expires_at=now + timedelta(seconds=settings.SMS_CODE_VALID_SECONDS),
            )
            if taken_by is None:
                _change_code_send(user=user, confirmation=confirmation, code=code)
            else:
                contact_owner_tell_attempt(owner=taken_by, channel=channel, key=f"contact:{confirmation.pk}")
        return confirmation
    taken_by = User.objects.filter(email=target).exclude(pk=user.pk).first()
    with transaction.atomic():
        contact_change_pending_expire(user=user, channel=channel)
        if taken_by is None:
            return email_link_send(
                user=user, purpose=Purpose.CONTACT_CHANGE, email=target, event="contact_change_email"
            )
        confirmation = ContactConfirmation.objects.create(
            user=user,
            channel=Channel.EMAIL,
            purpose=Purpose.CONTACT_CHANGE,
            target=target,
            sent_at=now,
            expires_at=now + timedelta(seconds=settings.CONTACT_EMAIL_LINK_MAX_AGE),
        )
        contact_owner_tell_attempt(owner=taken_by, channel=channel, key=f"contact:{confirmation.pk}")
    return confirmation


def contact_change_pending_expire(*, user: User, channel: str) -> None:
    """The user's unconfirmed changes of `channel` stop working: their codes and links are dead."""
    now = timezone.now()
    ContactConfirmation.objects.filter(
        user=user, channel=channel, purpose=Purpose.CONTACT_CHANGE, confirmed_at=None, expires_at__gt=now
    ).update(expires_at=now)


def contact_owner_tell_attempt(*, owner: User, channel: str, key: str) -> None:
    """Tell an account's owner that someone entered their phone / e-mail; by that same channel.

    At most once a day per phone or address (sms_owner_notice_allowed): later attempts that day
    are not told again, so the notice can't be used to flood the owner.
    """
    from notifications.services import notify

    target = owner.phone.as_e164 if channel == Channel.PHONE and owner.phone else owner.email
    if not sms_owner_notice_allowed(target=f"{channel}:{target}"):
        return

    notify(
        user=owner,
        event="registration_attempt_existing",
        context={"channel": channel},
        dedupe_key=f"registration_attempt_existing:{channel}:{key}",
        inbox=True,
        sms=channel == Channel.PHONE,
        email=channel == Channel.EMAIL,
        # E.164 for the gateway (str() of a PhoneNumber follows the display format).
        phone_to=owner.phone.as_e164 if owner.phone else None,
    )


def contact_change_pending(*, user: User, confirmation_id: int | None) -> ContactConfirmation | None:
    if not confirmation_id:
        return None
    return ContactConfirmation.objects.filter(
        pk=confirmation_id, user=user, purpose=Purpose.CONTACT_CHANGE, confirmed_at=None
    ).first()


def _pending_phone_change_locked(*, user: User, confirmation_id: int) -> ContactConfirmation:
    """The citizen's unconfirmed phone change, locked for this transaction; "no_pending" otherwise."""
    confirmation = (
        ContactConfirmation.objects.select_for_update()
        .filter(pk=confirmation_id, user=user, purpose=Purpose.CONTACT_CHANGE, channel=Channel.PHONE)
        .filter(confirmed_at=None)
        .first()
    )
    if confirmation is None:
        raise ValidationError(_("Начните смену контакта заново."), code="no_pending")
    return confirmation


def contact_change_code_resend(*, user: User, confirmation_id: int, request: HttpRequest | None) -> ContactConfirmation:
    """A new code to the new phone, at most once a minute; wrong tries so far are kept (not reset)."""
    with transaction.atomic():
        confirmation = _pending_phone_change_locked(user=user, confirmation_id=confirmation_id)
        now = timezone.now()
        waited = (now - confirmation.sent_at).total_seconds()
        if waited < settings.SMS_CODE_RESEND_SECONDS:
            raise ResendTooSoon(math.ceil(settings.SMS_CODE_RESEND_SECONDS - waited))
        sms_send_allowed(phone=confirmation.target, ip_address=request_ip(request))
        if confirmation.failed_attempts >= settings.SMS_CODE_MAX_FAILURES or now >= confirmation.expires_at:
            # Tries are kept while the previous code is alive: a resend must not buy more guesses.
            confirmation.failed_attempts = 0
        code = contact_code_generate()
        taken = User.objects.filter(phone=confirmation.target).exclude(pk=user.pk).exists()
        confirmation.code_hash = contact_code_hash(
            purpose=Purpose.CONTACT_CHANGE, target=confirmation.target, code=code
        )
        confirmation.sent_at = now
        confirmation.expires_at = now + timedelta(seconds=settings.SMS_CODE_VALID_SECONDS)
        confirmation.save(update_fields=["code_hash", "sent_at", "expires_at", "failed_attempts"])
        if not taken:
            _change_code_send(user=user, confirmation=confirmation, code=code)
    return confirmation


def _change_code_send(*, user: User, confirmation: ContactConfirmation, code: str) -> None:
    """The code to the new phone; each send its own outbox row (a resend is a new message)."""
    sms_code_send(
        user=user,
        event="contact_change_code",
        code=code,
        dedupe_key=f"contact_change_code:{confirmation.pk}:{secrets.token_hex(4)}",
        phone=confirmation.target,
    )


def contact_change_phone_confirm(*, user: User, confirmation_id: int, code: str, request: HttpRequest | None) -> User:
    """Check the code sent to the new phone; on success the phone is replaced and the old one told.

    Raises ValidationError: "no_pending", "too_many" (5 wrong tries were used: the 6th is refused
    even when right), "expired" (10 minutes), "invalid" (wrong; says how many tries are left),
    "phone_taken" (the number was registered meanwhile). Audits CONTACT_CHANGED with masked numbers.
    """
    now = timezone.now()
    wrong: ValidationError | None = None
    with transaction.atomic():
        confirmation = _pending_phone_change_locked(user=user, confirmation_id=confirmation_id)
        try:
            code_check(
                failed_attempts=confirmation.failed_attempts,
                expires_at=confirmation.expires_at,
                matches=contact_code_matches(
                    purpose=Purpose.CONTACT_CHANGE,
                    target=confirmation.target,
                    code=code,
                    code_hash=confirmation.code_hash,
                ),
                on_failure=lambda: _confirmation_count_failure(confirmation),
            )
        except ValidationError as error:
            # Leave the block normally so the counted wrong try is committed, then refuse.
            wrong = error
        else:
            user = _phone_replace(user=user, confirmation=confirmation, now=now, request=request)
    if wrong is not None:
        raise wrong
    return user


def _phone_replace(*, user: User, confirmation: ContactConfirmation, now, request: HttpRequest | None) -> User:
    """Put the proved number in place of the old one; "phone_taken" (everything rolled back by the
    caller's transaction) when another account holds it, also when it got it after the check."""
    user = User.objects.select_for_update().get(pk=user.pk)
    old_phone = user.phone.as_e164 if user.phone else ""
    contact_replace(user=user, channel=Channel.PHONE, value=confirmation.target, now=now)
    confirmation.confirmed_at = now
    confirmation.code_hash = ""
    confirmation.save(update_fields=["confirmed_at", "code_hash"])
    contact_change_finish(
        user=user,
        channel=Channel.PHONE,
        old=old_phone,
        new=confirmation.target,
        dedupe_key=f"contact_changed:{confirmation.pk}",
        actor=user,
        request=request,
    )
    return user


# --- what every change of contact does once it is proved (the citizen's and staff's) -------------


def _contact_taken_error(channel: str) -> ValidationError:
    if channel == Channel.PHONE:
        return ValidationError(_("Этот номер уже указан в другой учётной записи."), code="phone_taken")
    return ValidationError(_("Этот адрес e-mail уже указан в другой учётной записи."), code="email_taken")


def contact_taken_check(*, user: User, channel: str, value: str) -> None:
    """Raise ValidationError ("phone_taken" / "email_taken") when another account holds `value`.

    Only for people who may know the answer: the owner who has just proved the new contact, and
    staff. The citizen's change form never says it (contact_change_start tells the holder instead).
    """
    lookup = {"phone": value} if channel == Channel.PHONE else {"email": (value or "").lower()}
    if User.objects.filter(**lookup).exclude(pk=user.pk).exists():
        raise _contact_taken_error(channel)


def contact_replace(*, user: User, channel: str, value: str, now: datetime) -> None:
    """Put `value` in place of the user's phone / e-mail, confirmed at `now`.

    Before: the caller holds the user row locked and has proved `value` (or staff vouched for it).
    Raises ValidationError ("phone_taken" / "email_taken") when another account holds it, also
    when it was taken between the check and the save (the unique index answers the race).
    """
    contact_taken_check(user=user, channel=channel, value=value)
    field = "phone" if channel == Channel.PHONE else "email"
    setattr(user, field, value)
    setattr(user, f"{field}_confirmed_at", now)
    try:
        with transaction.atomic():
            user.save(update_fields=[field, f"{field}_confirmed_at"])
    except IntegrityError:
        raise _contact_taken_error(channel) from None


def contact_change_finish(
    *,
    user: User,
    channel: str,
    old: str,
    new: str,
    dedupe_key: str | None,
    actor: User,
    request: HttpRequest | None,
) -> AuditEvent:
    """After a phone or e-mail took effect: level refreshed, the change audited with masked values
    only, the old contact told (under `dedupe_key`, or the audit row's number when None)."""
    identity_level_refresh(user=user)
    mask = mask_phone if channel == Channel.PHONE else mask_email
    by_staff = actor.pk != user.pk
    details = {"channel": str(channel), "old": mask(old), "new": mask(new)}
    if by_staff:
        details["source"] = "admin"
    event = audit_record(
        kind=AuditEventKind.CONTACT_CHANGED, request=request, actor=actor, subject=user, details=details
    )
    if old:
        _contact_changed_tell_old(
            user=user,
            channel=channel,
            old=old,
            new=new,
            dedupe_key=dedupe_key or f"contact_changed:audit-{event.pk}",
            by_staff=by_staff,
        )
    return event


def _confirmation_count_failure(confirmation: ContactConfirmation) -> int:
    confirmation.failed_attempts += 1
    confirmation.save(update_fields=["failed_attempts"])
    return confirmation.failed_attempts


def _contact_changed_tell_old(*, user: User, channel: str, old: str, new: str, dedupe_key: str, by_staff: bool) -> None:
    """Tell the OLD phone / mailbox that the contact changed, so a hijack does not go unnoticed."""
    from notifications.services import notify

    is_phone = channel == Channel.PHONE
    notify(
        user=user,
        event="contact_changed",
        context={
            "channel": channel,
            "new_masked": mask_phone(new) if is_phone else mask_email(new),
            "by_staff": by_staff,
        },
        dedupe_key=dedupe_key,
        inbox=True,
        sms=is_phone,
        email=not is_phone,
        phone_to=old if is_phone else None,
        email_to=None if is_phone else old,
    )
