from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Ожидает отправки")
    SENT = "sent", _("Отправлено")
    FAILED = "failed", _("Не доставлено")


MAX_ATTEMPTS = 5


class PreferenceEvent(models.TextChoices):
    """The events whose e-mail and SMS a citizen may turn off (the «Уведомления» settings page).

    Only the request journey is here: every other event (login codes, password reset, a new device,
    a change of phone or e-mail, identity decisions) is about the account's security and is always
    sent. The inbox gets every event whatever the choice.
    """

    REQUEST_SUBMITTED = "request_submitted", _("Заявка подана")
    REQUEST_IN_REVIEW = "request_in_review", _("Заявка взята на проверку")
    REQUEST_DOCUMENTS_REQUESTED = "request_documents_requested", _("Нужны документы")
    REQUEST_DOCUMENTS_REMINDER = "request_documents_reminder", _("Напоминание о сроке для документов")
    REQUEST_DOCUMENTS_RECEIVED = "request_documents_received", _("Документы получены")
    REQUEST_APPROVED = "request_approved", _("Заявка одобрена")
    REQUEST_POLICY_ISSUED = "request_policy_issued", _("Полис выдан")
    REQUEST_REJECTED = "request_rejected", _("Заявка отклонена")
    REQUEST_WITHDRAWN = "request_withdrawn", _("Заявка отозвана")
    REQUEST_EXPIRED = "request_expired", _("Срок для документов истёк")
