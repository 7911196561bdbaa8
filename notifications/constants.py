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
