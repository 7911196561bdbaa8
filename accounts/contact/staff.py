"""The change of a citizen's phone or e-mail made by staff in the admin (UserAdmin.save_model).

The same steps as the citizen's own change once it is proved (accounts.contact.services), with
staff's word standing in for the code or link, and one more notice: to the NEW contact.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.contact.services import (
    Channel,
    contact_change_finish,
    contact_change_pending_expire,
    contact_replace,
)
from accounts.models import User


def contact_change_by_staff(*, user: User, channel: str, value: str, actor: User, request: HttpRequest | None) -> User:
    """A staff member replaces a citizen's phone (E.164) or e-mail from the admin.

    Before: `actor` holds accounts.change_user (the admin checked it) and checked who is asking by
    the support procedure — that stands in for the code or link the citizen's own change proves the
    contact with, so the new contact counts as confirmed. The same effects as that change once it
    takes effect: the contact is unique (ValidationError "phone_taken" / "email_taken"), the
    citizen's own unfinished changes of this channel stop working (their code or link would undo
    this one), the level is refreshed, the OLD contact and the inbox are told, the change is audited
    (CONTACT_CHANGED, actor = the staff member, masked values). The NEW contact is told as well:
    unlike the citizen's own change, the portal has sent it nothing yet. Removing the phone is not
    a change this makes (a ValidationError "phone_required"). Returns the saved user; a value equal
    to the current one changes nothing.
    """
    is_phone = channel == Channel.PHONE
    value = value if is_phone else (value or "").lower()
    if not value:
        raise ValidationError(
            _("Номер телефона нельзя удалить: укажите новый номер.")
            if is_phone
            else _("Укажите адрес e-mail: это логин и адрес для уведомлений."),
            code="phone_required" if is_phone else "email_required",
        )
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = (user.phone.as_e164 if user.phone else "") if is_phone else user.email
        if old == value:
            return user
        contact_replace(user=user, channel=channel, value=value, now=now)
        contact_change_pending_expire(user=user, channel=channel)
        event = contact_change_finish(
            user=user, channel=channel, old=old, new=value, dedupe_key=None, actor=actor, request=request
        )
        _contact_set_by_staff_tell_new(user=user, channel=channel, new=value, key=f"audit-{event.pk}")
    return user


def _contact_set_by_staff_tell_new(*, user: User, channel: str, new: str, key: str) -> None:
    """Tell the NEW phone / mailbox that staff put it on the account (so a wrong one is noticed)."""
    from notifications.services import notify

    is_phone = channel == Channel.PHONE
    notify(
        user=user,
        event="contact_set_by_staff",
        context={"channel": channel},
        dedupe_key=f"contact_set_by_staff:{key}",
        inbox=False,
        sms=is_phone,
        email=not is_phone,
        phone_to=new if is_phone else None,
        email_to=None if is_phone else new,
    )
