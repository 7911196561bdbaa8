"""Policy number checks (../shared/domain/FACTS.md): ЕНП is 16 digits with a Luhn check digit."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s\-]")


def enp_normalize(value: str) -> str:
    """People type the ЕНП in groups of four with spaces or dashes: keep the digits only."""
    return _SEPARATORS.sub("", value or "")


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_enp(value: str) -> None:
    digits = enp_normalize(value)
    if not re.fullmatch(r"\d{16}", digits):
        raise ValidationError(_("Номер полиса (ЕНП) — 16 цифр, например 8451 9991 2289 9990."), code="enp_format")
    if not luhn_is_valid(digits):
        raise ValidationError(
            _("В номере полиса ошибка: последняя (контрольная) цифра не сходится. Сверьте номер с полисом."),
            code="enp_checksum",
        )
