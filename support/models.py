"""The online chat with support operators, saved answers and the citizens' ratings of the service.

A conversation's messages are numbered 1, 2, 3… (`Message.seq`) in the order they were committed:
the poster locks the conversation row, takes `last_seq + 1` and commits before the next poster can
take the lock (support.services.message_post). A client that asks for `after=<the last seq it
has>` therefore never misses a message and never gets one twice, whichever web process answers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from support.constants import AuthorRole, ConversationStatus, RatingPoint


class Conversation(models.Model):
    """One thread between a citizen and support; at most one open per citizen.

    `operator` is who holds it (taken by a conditional update, one at a time). `waiting_since` is
    when the oldest citizen message nobody answered yet arrived: the queue's order.
    """

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="support_conversations",
        verbose_name=_("гражданин"),
    )
    request = models.ForeignKey(
        "oms_policy.PolicyRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_conversations",
        verbose_name=_("заявка"),
    )
    status = models.CharField(
        _("статус"), max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.OPEN, db_index=True
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("оператор"),
    )
    taken_at = models.DateTimeField(_("взята в работу"), null=True, blank=True)
    last_seq = models.PositiveIntegerField(_("последний номер сообщения"), default=0)
    citizen_read_seq = models.PositiveIntegerField(_("прочитано гражданином до"), default=0)
    operator_read_seq = models.PositiveIntegerField(_("прочитано оператором до"), default=0)
    waiting_since = models.DateTimeField(_("ждёт ответа с"), null=True, blank=True)
    # The citizen's page polls; a recent poll means they are reading and need no e-mail or SMS.
    citizen_seen_at = models.DateTimeField(_("гражданин был в чате"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("последнее сообщение"), null=True, blank=True)
    created_at = models.DateTimeField(_("начата"), auto_now_add=True)
    closed_at = models.DateTimeField(_("закрыта"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто закрыл"),
    )

    class Meta:
        verbose_name = _("беседа с поддержкой")
        verbose_name_plural = _("беседы с поддержкой")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["citizen"], condition=Q(status="open"), name="one_open_conversation"),
        ]
        indexes = [models.Index(fields=["status", "waiting_since"], name="conversation_queue")]

    def __str__(self) -> str:
        return _("Беседа №%(pk)s") % {"pk": self.pk}


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField(_("номер в беседе"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_role = models.CharField(_("кто написал"), max_length=10, choices=AuthorRole.choices)
    text = models.TextField(_("текст"))
    # A random key the browser gives each message it sends: a resent POST (the answer was lost)
    # finds the message it already made instead of making a second one.
    client_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("отправлено"), auto_now_add=True)

    class Meta:
        verbose_name = _("сообщение")
        verbose_name_plural = _("сообщения")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_key"], condition=~Q(client_key=""), name="message_client_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


class SavedAnswer(models.Model):
    """A ready text an operator can put into the reply box and edit before sending."""

    title = models.CharField(_("название"), max_length=100, unique=True)
    text = models.TextField(_("текст"))
    is_active = models.BooleanField(_("показывать операторам"), default=True)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        verbose_name = _("готовый ответ")
        verbose_name_plural = _("готовые ответы")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ServiceRating(models.Model):
    """A citizen's 1–5 rating at one point: a request's end point or a closed chat; once each.

    `staff` is whom the rating is about: the reviewer who held the request, or the chat's operator.
    """

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_ratings", verbose_name=_("гражданин")
    )
    point = models.CharField(_("за что"), max_length=20, choices=RatingPoint.choices)
    request = models.ForeignKey(
        "oms_policy.PolicyRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="service_ratings",
        verbose_name=_("заявка"),
    )
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ratings",
        verbose_name=_("беседа"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("сотрудник"),
    )
    score = models.PositiveSmallIntegerField(_("оценка"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("комментарий"), blank=True)
    created_at = models.DateTimeField(_("оценено"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("оценка услуги")
        verbose_name_plural = _("оценки услуги")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
            models.CheckConstraint(
                condition=(Q(point="chat", conversation__isnull=False, request__isnull=True))
                | (~Q(point="chat") & Q(request__isnull=False, conversation__isnull=True)),
                name="rating_point_has_subject",
            ),
            models.UniqueConstraint(
                fields=["request", "point"], condition=Q(request__isnull=False), name="one_rating_per_request_point"
            ),
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(conversation__isnull=False), name="one_rating_per_conversation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_point_display()}: {self.score}"
