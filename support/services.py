"""Writes for the support chat: open, post, take, transfer, close, read marks; ratings.

Every state the chat pages show lives in PostgreSQL, so any web process can answer any poll.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.counters import counter_hit
from notifications.services import notify
from oms_policy.models import PolicyRequest, StatusChange
from support.constants import REQUEST_POINT_STATUS, AuthorRole, ConversationStatus, RatingPoint
from support.models import Conversation, Message, ServiceRating
from support.selectors import is_support_operator


class ChatRefused(Exception):
    """An action the chat does not allow; `message` is for the person who tried (nothing changed)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def operator_display_name(user) -> str:
    """What the citizen sees of an operator: the first name only."""
    return user.first_name or _("оператор")


def conversation_open(*, citizen, request: PolicyRequest | None = None) -> Conversation:
    """The citizen's open conversation, made if there is none.

    Before: `request`, when given, belongs to `citizen` (the view checks). After: one open
    conversation exists; a given request is tied to it when it had none. Two tabs opening at once
    meet at the unique constraint and share one row. Schedules nothing.
    """
    if request is not None and request.applicant_id != citizen.pk:
        raise ChatRefused(_("Это не ваша заявка."), code="forbidden")
    conversation = Conversation.objects.filter(citizen=citizen, status=ConversationStatus.OPEN).first()
    if conversation is None:
        try:
            with transaction.atomic():
                return Conversation.objects.create(citizen=citizen, request=request)
        except IntegrityError:  # the other tab made it first
            conversation = Conversation.objects.get(citizen=citizen, status=ConversationStatus.OPEN)
    if request is not None and conversation.request_id is None:
        Conversation.objects.filter(pk=conversation.pk, request__isnull=True).update(request=request)
        conversation.refresh_from_db(fields=["request"])
    return conversation


def _append(*, conversation: Conversation, role: str, text: str, author=None, client_key: str = "") -> Message:
    """Number and store one message; the caller holds the conversation's row lock (select_for_update).

    The lock is what makes the numbers safe for `after=` polling: the next poster waits until this
    transaction commits, so message N is visible before N+1 can exist.
    """
    conversation.last_seq += 1
    conversation.last_message_at = timezone.now()
    return Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        author=author,
        author_role=role,
        text=text,
        client_key=client_key,
    )


def _system_note(*, conversation: Conversation, text: str) -> Message:
    message = _append(conversation=conversation, role=AuthorRole.SYSTEM, text=text)
    conversation.save(update_fields=["last_seq", "last_message_at"])
    return message


def _clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    if not text:
        raise ChatRefused(_("Напишите сообщение."), code="empty")
    limit = settings.SUPPORT_MESSAGE_MAX_LENGTH
    if len(text) > limit:
        raise ChatRefused(
            _("Сообщение длиннее %(limit)s знаков: разделите его на несколько.") % {"limit": limit}, code="too_long"
        )
    return text


def message_post(*, conversation_id: int, author, role: str, text: str, client_key: str = "") -> tuple[Message, bool]:
    """Add a message from the citizen or the operator who holds the conversation; (message, created).

    Before: the conversation is open; a citizen posts only to their own, an operator only to one
    they hold. `client_key` repeats a send whose answer was lost: the message it made is returned
    and nothing new is written. Citizens get SUPPORT_MESSAGES_PER_MINUTE. After: the message has
    the next `seq`; a citizen's message starts the wait clock, an operator's stops it and notifies
    the citizen (event `support_reply`, once until the citizen reads the chat; not at all while the
    chat page is open). Raises ChatRefused and writes nothing otherwise.
    """
    text = _clean_text(text)
    client_key = (client_key or "")[:64]
    if client_key:
        existing = Message.objects.filter(conversation_id=conversation_id, client_key=client_key).first()
        if existing is not None:
            return existing, False
    if role == AuthorRole.CITIZEN:
        count = counter_hit(f"support:messages:{author.pk}", window_seconds=60)
        if count > settings.SUPPORT_MESSAGES_PER_MINUTE:
            raise ChatRefused(
                _("Слишком много сообщений подряд. Подождите минуту и отправьте снова."), code="rate_limited"
            )
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().select_related("citizen").get(pk=conversation_id)
        if client_key:
            existing = Message.objects.filter(conversation=conversation, client_key=client_key).first()
            if existing is not None:
                return existing, False
        if conversation.status != ConversationStatus.OPEN:
            raise ChatRefused(_("Беседа закрыта. Напишите снова — начнётся новая беседа."), code="closed")
        update_fields = ["last_seq", "last_message_at"]
        if role == AuthorRole.CITIZEN:
            if author.pk != conversation.citizen_id:
                raise ChatRefused(_("Это не ваша беседа."), code="forbidden")
            message = _append(conversation=conversation, role=role, text=text, author=author, client_key=client_key)
            conversation.citizen_read_seq = message.seq
            update_fields.append("citizen_read_seq")
            if conversation.waiting_since is None:
                conversation.waiting_since = message.created_at
                update_fields.append("waiting_since")
        elif role == AuthorRole.OPERATOR:
            if conversation.operator_id != author.pk or not is_support_operator(author):
                raise ChatRefused(_("Ответить может только оператор, который ведёт беседу."), code="not_holder")
            earlier_unread_reply = Message.objects.filter(
                conversation=conversation, author_role=AuthorRole.OPERATOR, seq__gt=conversation.citizen_read_seq
            ).exists()
            message = _append(conversation=conversation, role=role, text=text, author=author, client_key=client_key)
            conversation.operator_read_seq = message.seq
            conversation.waiting_since = None
            update_fields += ["operator_read_seq", "waiting_since"]
            present_since = timezone.now() - timedelta(seconds=settings.SUPPORT_CITIZEN_PRESENT_SECONDS)
            citizen_present = conversation.citizen_seen_at is not None and conversation.citizen_seen_at >= present_since
            if not earlier_unread_reply and not citizen_present:
                _reply_notify(conversation=conversation, message=message)
        else:
            raise ChatRefused(_("Неизвестный автор сообщения."), code="bad_role")
        conversation.save(update_fields=update_fields)
    return message, True


def _reply_notify(*, conversation: Conversation, message: Message) -> None:
    with translation.override("ru"):
        notify(
            user=conversation.citizen,
            event="support_reply",
            context={"conversation": conversation, "operator_name": operator_display_name(message.author)},
            dedupe_key=f"support-reply:{conversation.pk}:{message.seq}",
            link=reverse("support:chat"),
        )


def conversation_take(*, conversation_id: int, operator) -> bool:
    """Become the operator of an open conversation nobody holds; True if this call got it.

    A conditional UPDATE: of two operators pressing «Взять» at once, PostgreSQL makes the second
    wait for the first to commit and then finds the row taken (0 rows). Writes a system note.
    """
    if not is_support_operator(operator):
        raise ChatRefused(_("Брать беседы могут только операторы поддержки."), code="forbidden")
    with transaction.atomic():
        taken = Conversation.objects.filter(
            pk=conversation_id, status=ConversationStatus.OPEN, operator__isnull=True
        ).update(operator=operator, taken_at=timezone.now())
        if taken != 1:
            return False
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        with translation.override("ru"):
            _system_note(
                conversation=conversation,
                text=_("Оператор %(name)s подключился к беседе.") % {"name": operator_display_name(operator)},
            )
    return True


def conversation_transfer(*, conversation_id: int, operator, to_operator) -> None:
    """Hand a conversation the `operator` holds to a colleague in support; writes a system note."""
    if to_operator.pk == operator.pk:
        raise ChatRefused(_("Выберите другого оператора."), code="same")
    if not is_support_operator(to_operator):
        raise ChatRefused(_("Передать беседу можно только оператору поддержки."), code="not_operator")
    with transaction.atomic():
        moved = Conversation.objects.filter(
            pk=conversation_id, status=ConversationStatus.OPEN, operator=operator
        ).update(operator=to_operator, taken_at=timezone.now(), operator_read_seq=0)
        if moved != 1:
            raise ChatRefused(_("Передать можно только открытую беседу, которую ведёте вы."), code="not_holder")
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        with translation.override("ru"):
            _system_note(
                conversation=conversation,
                text=_("Беседу передали оператору %(name)s.") % {"name": operator_display_name(to_operator)},
            )


def conversation_close(*, conversation_id: int, actor, role: str) -> bool:
    """Close an open conversation: its citizen, or the operator who holds it. True if this call closed it."""
    holder = Q(citizen=actor) if role == AuthorRole.CITIZEN else Q(operator=actor)
    if role == AuthorRole.OPERATOR and not is_support_operator(actor):
        raise ChatRefused(_("Закрыть беседу может только оператор, который её ведёт."), code="not_holder")
    with transaction.atomic():
        closed = Conversation.objects.filter(holder, pk=conversation_id, status=ConversationStatus.OPEN).update(
            status=ConversationStatus.CLOSED, closed_at=timezone.now(), closed_by=actor, waiting_since=None
        )
        if closed != 1:
            return False
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        with translation.override("ru"):
            _system_note(
                conversation=conversation,
                text=_("Беседа закрыта гражданином.") if role == AuthorRole.CITIZEN else _("Оператор закрыл беседу."),
            )
    return True


def conversation_mark_read(*, conversation: Conversation, role: str, seq: int) -> None:
    """Remember what the side has seen (only ever forward). A citizen's poll also marks them present."""
    seq = min(max(seq, 0), conversation.last_seq)
    now = timezone.now()
    if role == AuthorRole.CITIZEN:
        # The read mark only moves forward, and the poll says they are here. Nothing new read and
        # presence marked within a third of its window: no write (each is a commit, and a citizen
        # with the chat open polls every few seconds).
        fresh_since = now - timedelta(seconds=settings.SUPPORT_CITIZEN_PRESENT_SECONDS / 3)
        if (
            conversation.citizen_read_seq >= seq
            and conversation.citizen_seen_at is not None
            and conversation.citizen_seen_at >= fresh_since
        ):
            return
        Conversation.objects.filter(pk=conversation.pk).update(
            citizen_read_seq=Greatest("citizen_read_seq", Value(seq)), citizen_seen_at=now
        )
    else:
        Conversation.objects.filter(pk=conversation.pk, operator_read_seq__lt=seq).update(operator_read_seq=seq)


def service_rating_submit(
    *,
    citizen,
    point: str,
    score: int,
    comment: str = "",
    request: PolicyRequest | None = None,
    conversation: Conversation | None = None,
) -> ServiceRating:
    """Store the citizen's rating at one point, once.

    Before: for a request point, the request is the citizen's and has reached that point's status
    (a StatusChange to it exists); for the chat, the conversation is the citizen's and closed.
    After: one ServiceRating, about the request's reviewer or the chat's operator. A second rating
    of the same point raises ChatRefused(code="already_rated").
    """
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ChatRefused(_("Поставьте оценку от 1 до 5."), code="bad_score")
    comment = (comment or "").strip()[:2000]
    staff = None
    if point == RatingPoint.CHAT:
        if conversation is None or conversation.citizen_id != citizen.pk:
            raise ChatRefused(_("Это не ваша беседа."), code="forbidden")
        if conversation.status != ConversationStatus.CLOSED:
            raise ChatRefused(_("Оценить беседу можно после того, как она закрыта."), code="not_closed")
        staff, request = conversation.operator, None
    elif point in REQUEST_POINT_STATUS:
        if request is None or request.applicant_id != citizen.pk:
            raise ChatRefused(_("Это не ваша заявка."), code="forbidden")
        if not StatusChange.objects.filter(request=request, new_status=REQUEST_POINT_STATUS[point]).exists():
            raise ChatRefused(_("Эту оценку можно поставить, когда заявка дойдёт до этого этапа."), code="not_reached")
        staff, conversation = request.reviewer, None
    else:
        raise ChatRefused(_("Неизвестный этап для оценки."), code="bad_point")
    try:
        with transaction.atomic():
            return ServiceRating.objects.create(
                citizen=citizen,
                point=point,
                score=score,
                comment=comment,
                request=request,
                conversation=conversation,
                staff=staff,
            )
    except IntegrityError:
        raise ChatRefused(_("Вы уже поставили эту оценку. Спасибо!"), code="already_rated") from None
