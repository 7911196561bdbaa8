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


class Verdict(models.TextChoices):
    """Why the scan check passed or refused a document; the label is what the citizen reads."""

    READABLE = "readable", _("Скан читается")
    TOO_SMALL = (
        "too_small",
        _("Скан слишком мелкий: сфотографируйте страницу ближе или сканируйте с разрешением от 150 dpi"),
    )
    BLANK = "blank", _("На скане ничего не видно: загрузите снимок страницы документа")
    TOO_DARK = "too_dark", _("Скан слишком тёмный: переснимите при хорошем освещении")
    TOO_BRIGHT = "too_bright", _("Скан засвечен: переснимите без вспышки и бликов")
    BLURRY = "blurry", _("Скан размыт: переснимите при хорошем освещении, держите телефон неподвижно")
    CORRUPT = "corrupt", _("Файл повреждён: загрузите его заново")
    INFECTED = "infected", _("Файл не прошёл проверку антивирусом: загрузите другой файл")


# Verdicts after which the file itself is unsafe or unreadable and is deleted at once.
VERDICTS_FILE_DELETED = frozenset({Verdict.CORRUPT, Verdict.INFECTED})
