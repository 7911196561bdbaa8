from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.constants import Channel, DeliveryStatus, PreferenceEvent


class Notification(models.Model):
    """One message in a citizen's in-app inbox (the bell in the header)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(_("событие"), max_length=60)
    title = models.CharField(_("заголовок"), max_length=200)
    body = models.TextField(_("текст"))
    link = models.CharField(_("ссылка"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("создано"), default=timezone.now)
    read_at = models.DateTimeField(_("прочитано"), null=True, blank=True)

    class Meta:
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class OutboundMessage(models.Model):
    """An e-mail or SMS to send: written in the same transaction as its cause, sent by a task."""

    channel = models.CharField(_("канал"), max_length=10, choices=Channel.choices)
    event = models.CharField(_("событие"), max_length=60)
    recipient = models.CharField(_("получатель"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("тема"), max_length=200, blank=True)
    body = models.TextField(_("текст"))
    body_html = models.TextField(blank=True)
    # Messages carrying one-time codes are erased once sent: the database must not keep codes.
    is_sensitive = models.BooleanField(default=False)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        _("статус"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    last_error = models.TextField(_("последняя ошибка"), blank=True)
    created_at = models.DateTimeField(_("создано"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("отправлено"), null=True, blank=True)

    class Meta:
        verbose_name = _("исходящее сообщение")
        verbose_name_plural = _("исходящие сообщения")
        ordering = ["-created_at"]
        permissions = [("resend_outboundmessage", _("Может отправить недоставленное сообщение повторно"))]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.event} #{self.pk}"


class NotificationPreference(models.Model):
    """A citizen's choice of e-mail and SMS for one kind of request event; no row means both on.

    Read by notifications.services.notify for the events in PreferenceEvent only: security
    messages ignore it, and the inbox always gets the message.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("событие"), max_length=60, choices=PreferenceEvent.choices)
    email_enabled = models.BooleanField(_("e-mail"), default=True)
    sms_enabled = models.BooleanField(_("SMS"), default=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("настройка уведомлений")
        verbose_name_plural = _("настройки уведомлений")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_user_event")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event}"
