from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentStatus(models.TextChoices):
    # Stored, the scan check (and the antivirus, when configured) has not finished yet.
    CHECKING = "checking", _("Проверяется")
    PASSED = "passed", _("Скан читается")
    FAILED = "failed", _("Скан не подходит")


class SlotState(models.TextChoices):
    """What a document slot of a request shows the citizen and blocks submission on."""

    EMPTY = "empty", _("Не загружен")
    CHECKING = "checking", _("Проверяется")
    FAILED = "failed", _("Нужно заменить")
    READY = "ready", _("Готов")
