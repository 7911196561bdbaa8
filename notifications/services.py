"""The one way other apps tell people things: ``notify()``; and the delivery of the outbox.

Templates per event live in templates/notifications/<event>/{subject.txt, body.txt, body.html,
sms.txt, inbox.txt, inbox_title.txt}; a missing sms.txt means the event sends no SMS, a missing body.txt
no e-mail. The inbox shows inbox_title.txt (else the subject) and inbox.txt (else body.txt): an e-mail
subject may carry the sender («— Портал ОМС»), which inside the portal is noise.

Every message is rendered in the recipient's language (User.language), whoever caused the event.
For the request journey's events (PreferenceEvent) the citizen's choices of e-mail and SMS apply;
security messages are always sent, and the inbox always gets its row.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connections, router, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.backends.sms import SmsError, get_sms_backend
from notifications.constants import MAX_ATTEMPTS, Channel, DeliveryStatus, PreferenceEvent
from notifications.models import Notification, NotificationPreference, OutboundMessage

logger = logging.getLogger(__name__)


def _render_optional(template: str, context: dict[str, Any]) -> str | None:
    try:
        return render_to_string(template, context).strip()
    except TemplateDoesNotExist:
        return None


def notify(
    *,
    user,
    event: str,
    context: dict[str, Any] | None = None,
    dedupe_key: str,
    inbox: bool = True,
    email: bool = True,
    sms: bool = True,
    email_to: str | None = None,
    phone_to: str | None = None,
    sensitive: bool = False,
    link: str = "",
) -> list[OutboundMessage]:
    """Write the inbox row and the outbound rows for `event`; deliver them after commit.

    Must run inside the transaction of the change that caused it (or autocommit). Idempotent by
    `dedupe_key`: a second call with the same key writes nothing. Texts are rendered in
    `user.language`; for PreferenceEvent events the user's e-mail/SMS choices can turn those
    channels off (never the inbox). Schedules `outbound_deliver_task` for each new message.
    """
    # An account's messages are in its language; without an account yet (a registration code) the
    # person is the one in front of the screen, so the active language is theirs.
    if getattr(user, "pk", None):
        language = user.language or settings.LANGUAGE_CODE
    else:
        language = translation.get_language() or settings.LANGUAGE_CODE
    if event in PreferenceEvent.values and getattr(user, "pk", None):
        email, sms = notification_channels_allowed(user=user, event=event, email=email, sms=sms)
    with translation.override(language):
        return _notify_rows(
            user=user,
            event=event,
            context=context,
            dedupe_key=dedupe_key,
            inbox=inbox,
            email=email,
            sms=sms,
            email_to=email_to,
            phone_to=phone_to,
            sensitive=sensitive,
            link=link,
        )


def notification_channels_allowed(*, user, event: str, email: bool, sms: bool) -> tuple[bool, bool]:
    """(email, sms) after the user's choice for `event`; no choice stored means both stay as asked."""
    preference = (
        NotificationPreference.objects.filter(user=user, event=event).only("email_enabled", "sms_enabled").first()
    )
    if preference is None:
        return email, sms
    return email and preference.email_enabled, sms and preference.sms_enabled


def _notify_rows(
    *,
    user,
    event: str,
    context: dict[str, Any] | None,
    dedupe_key: str,
    inbox: bool,
    email: bool,
    sms: bool,
    email_to: str | None,
    phone_to: str | None,
    sensitive: bool,
    link: str,
) -> list[OutboundMessage]:
    from common.tasking import enqueue_on_commit
    from notifications.tasks import outbound_deliver_task

    context = {
        "user": user,
        "portal_url": settings.PORTAL_BASE_URL,
        "hotline": settings.HOTLINE_PHONE,
        **(context or {}),
    }
    base = f"notifications/{event}"
    subject = _render_optional(f"{base}/subject.txt", context) or ""
    account = user if getattr(user, "pk", None) else None
    messages: list[OutboundMessage] = []
    targets = []
    if email:
        targets.append((Channel.EMAIL, email_to or getattr(user, "email", "")))
    if sms:
        # Gateways take E.164 (+79161234567), not the display format.
        phone = getattr(user, "phone", None)
        targets.append((Channel.SMS, phone_to or (phone.as_e164 if phone else "")))
    for channel, recipient in targets:
        if not recipient:
            continue
        if channel == Channel.EMAIL:
            body = _render_optional(f"{base}/body.txt", context)
            html = _render_optional(f"{base}/body.html", context) or ""
        else:
            body = _render_optional(f"{base}/sms.txt", context)
            html = ""
        if body is None:
            continue
        messages.append(
            OutboundMessage(
                channel=channel,
                event=event,
                recipient=recipient,
                user=account,
                subject=subject[:200],
                body=body,
                body_html=html,
                is_sensitive=sensitive,
                dedupe_key=f"{dedupe_key}:{channel}",
            )
        )
    # No savepoint of its own: inside the caller's transaction the rows stand or fall with the change
    # that caused them; alone (autocommit) the inbox and outbox rows still commit together.
    with transaction.atomic(savepoint=False):
        if inbox and account is not None:
            # A key seen before means this message was written already: the row is skipped by the
            # database (ON CONFLICT DO NOTHING), with no read first and no savepoint.
            Notification.objects.bulk_create(
                [
                    Notification(
                        recipient=account,
                        event=event,
                        title=(_render_optional(f"{base}/inbox_title.txt", context) or subject)[:200],
                        body=_render_optional(f"{base}/inbox.txt", context)
                        or _render_optional(f"{base}/body.txt", context)
                        or "",
                        link=link,
                        dedupe_key=dedupe_key,
                    )
                ],
                ignore_conflicts=True,
            )
        created = _outbound_insert_new(messages)
    for message in created:
        enqueue_on_commit(outbound_deliver_task, message.pk)
    return created


def _insert_returning_supported(connection) -> bool:
    return connection.features.can_return_columns_from_insert


def _outbound_insert_new(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Insert the messages whose dedupe key is new, in one statement; return those, with their ids.

    `INSERT … ON CONFLICT DO NOTHING RETURNING id, dedupe_key`: a key written before (a retried
    transaction, a beat task run twice, a concurrent insert of the same key) is skipped by the
    database, without the read, the savepoint and the second insert of `get_or_create`. Django's
    `bulk_create(ignore_conflicts=True)` cannot say which rows were written, and their ids are what
    the delivery tasks need. A database without RETURNING (SQLite before 3.35) takes them one by one.
    """
    if not messages:
        return []
    connection = connections[router.db_for_write(OutboundMessage)]
    if not _insert_returning_supported(connection):
        created = []
        for message in messages:
            with transaction.atomic():
                row, was_created = OutboundMessage.objects.get_or_create(
                    dedupe_key=message.dedupe_key,
                    defaults={
                        field.attname: getattr(message, field.attname)
                        for field in OutboundMessage._meta.concrete_fields
                        if not field.primary_key and field.name != "dedupe_key"
                    },
                )
            if was_created:
                created.append(row)
        return created
    meta = OutboundMessage._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    columns = ", ".join(quote(field.column) for field in fields)
    returning = f"{quote(meta.pk.column)}, {quote(meta.get_field('dedupe_key').column)}"
    # Table and column names come from the model (quoted); every value is a parameter.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row_sql] * len(messages))} "  # noqa: S608  # nosec B608
    sql += f"ON CONFLICT DO NOTHING RETURNING {returning}"
    params = [
        field.get_db_prep_save(field.pre_save(message, add=True), connection=connection)
        for message in messages
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = {key: pk for pk, key in cursor.fetchall()}
    created = []
    for message in messages:
        if message.dedupe_key in ids:
            message.pk = ids[message.dedupe_key]
            message._state.adding = False
            message._state.db = connection.alias
            created.append(message)
    return created


ERASED_BODY = "[стёрто после отправки]"


def _error_is_transient(error: Exception) -> bool:
    """Whether trying the same message again may help.

    The SMS gateway says so itself. An SMTP reply in the 5xx range (a refused recipient or sender,
    a rejected message) will be the same on every retry, so it fails at once; connection errors,
    4xx replies and anything unexpected are retried with backoff up to MAX_ATTEMPTS.
    """
    if isinstance(error, SmsError):
        return error.transient
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return not 500 <= error.smtp_code < 600
    return True


def outbound_deliver(*, message_id: int) -> str:
    """Send one pending message. Safe to run twice: a claimed or finished row is left alone.

    Transient errors back off (1, 2, 4, 8 minutes) up to MAX_ATTEMPTS; permanent ones (a gateway's
    refusal, an SMTP 5xx such as a refused recipient) fail at once. Any other exception from the
    backend counts as a transient failure of this message only: the attempt is saved, never rolled
    back, so a message that always breaks stops after MAX_ATTEMPTS instead of blocking the sweep.
    A sensitive body (a code, a one-time link) is erased as soon as the row is sent or failed.
    Returns the final status.
    """
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update().filter(pk=message_id, status=DeliveryStatus.PENDING).first()
        )
        if message is None:
            return "skipped"
        message.attempts += 1
        try:
            _send(message)
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the row, see above
            text = str(error)
            if not isinstance(error, SmsError | OSError):
                logger.exception("outbound message %s: unexpected error from the backend", message.pk)
                text = f"{type(error).__name__}: {error}"
            message.last_error = text[:1000]
            if _error_is_transient(error) and message.attempts < MAX_ATTEMPTS:
                message.next_attempt_at = now + timedelta(minutes=2 ** (message.attempts - 1))
            else:
                message.status = DeliveryStatus.FAILED
        else:
            message.status = DeliveryStatus.SENT
            message.sent_at = now
            message.last_error = ""
        if message.is_sensitive and message.status != DeliveryStatus.PENDING:
            message.body = ERASED_BODY
            message.body_html = ""
        message.save(
            update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at", "body", "body_html"]
        )
        return message.status


def _send(message: OutboundMessage) -> None:
    if message.channel == Channel.SMS:
        get_sms_backend().send(message.recipient, message.body)
        return
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.body, to=[message.recipient], from_email=settings.DEFAULT_FROM_EMAIL
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send(fail_silently=False)


def outbound_deliver_pending(*, limit: int = 500) -> int:
    """The sweep: deliver every pending message whose next attempt is due (oldest first).

    Picks up what a broker outage, a dead worker or a failed in-process run left behind. Safe to
    run twice and beside the per-message tasks: outbound_deliver locks each row and skips rows
    that are no longer pending. One message that breaks (even outside the backend, e.g. the
    database refusing its row) is logged and skipped: the messages behind it are still tried.
    Returns how many messages it tried.
    """
    ids = list(
        OutboundMessage.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        try:
            outbound_deliver(message_id=message_id)
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep for every other one
            logger.exception("outbound message %s: delivery crashed; the sweep goes on", message_id)
    return len(ids)


def notification_mark_read(*, user, notification_id: int) -> bool:
    updated = Notification.objects.filter(pk=notification_id, recipient=user, read_at=None).update(
        read_at=timezone.now()
    )
    return updated == 1


def notification_mark_all_read(*, user) -> int:
    """Mark every unread inbox row of `user` read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


def notification_preferences_save(*, user, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store the user's (email, sms) choice per PreferenceEvent; unknown events are ignored.

    Before: nothing. After: one NotificationPreference row per event given. Schedules no tasks.
    """
    with transaction.atomic():
        for event, (email_enabled, sms_enabled) in choices.items():
            if event not in PreferenceEvent.values:
                continue
            NotificationPreference.objects.update_or_create(
                user=user, event=event, defaults={"email_enabled": email_enabled, "sms_enabled": sms_enabled}
            )


class ResendRefused(Exception):
    """The message cannot be sent again; `message` says why, for the staff member (Russian)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def outbound_resend(*, message_id: int) -> OutboundMessage:
    """Put a failed e-mail or SMS back in the queue (staff, from the admin), and send it after commit.

    Before: the row is `failed` and carries no one-time code (an old code is useless and must not be
    sent again — the person asks for a new one). After: the row is `pending` with its attempts reset;
    `outbound_deliver_task` is scheduled, and the sweep picks it up if the broker is down.
    """
    from django.utils.translation import gettext as _

    from common.tasking import enqueue_on_commit
    from notifications.tasks import outbound_deliver_task

    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status != DeliveryStatus.FAILED:
            raise ResendRefused(_("Повторно отправляются только недоставленные сообщения."))
        if message.is_sensitive:
            raise ResendRefused(
                _("Сообщение с одноразовым кодом не отправляется повторно: пусть человек запросит новый код.")
            )
        message.status = DeliveryStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["status", "attempts", "next_attempt_at"])
        enqueue_on_commit(outbound_deliver_task, message.pk)
    return message
