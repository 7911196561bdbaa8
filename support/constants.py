from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Открыта")
    CLOSED = "closed", _("Закрыта")


class AuthorRole(models.TextChoices):
    CITIZEN = "citizen", _("Гражданин")
    OPERATOR = "operator", _("Оператор")
    # Notes the service writes into the thread itself: an operator joined, the chat was closed.
    SYSTEM = "system", _("Система")


class RatingPoint(models.TextChoices):
    """Where the citizen may rate the service: the end points of a request, and a closed chat."""

    REQUEST_SUBMITTED = "request_submitted", _("Подача заявки")
    REQUEST_APPROVED = "request_approved", _("Одобрение заявки")
    REQUEST_REJECTED = "request_rejected", _("Отказ по заявке")
    REQUEST_WITHDRAWN = "request_withdrawn", _("Отзыв заявки")
    CHAT = "chat", _("Беседа с поддержкой")


# The request status that opens each request rating point (a StatusChange to it must exist).
REQUEST_POINT_STATUS = {
    RatingPoint.REQUEST_SUBMITTED: "submitted",
    RatingPoint.REQUEST_APPROVED: "approved",
    RatingPoint.REQUEST_REJECTED: "rejected",
    RatingPoint.REQUEST_WITHDRAWN: "withdrawn",
}
