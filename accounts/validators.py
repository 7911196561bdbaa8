"""SNILS, passport and division-code checks (rules in ../shared/domain/FACTS.md)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_NON_DIGITS = re.compile(r"[\s\-]")


def snils_normalize(value: str) -> str:
    """'112-233-445 95' -> '11223344595'; anything else is returned stripped of separators."""
    return _NON_DIGITS.sub("", value or "")


def snils_display(value: str | None) -> str:
    """'11223344595' -> '112-233-445 95', the way the number is printed on the card; '' if not 11 digits."""
    digits = snils_normalize(value or "")
    if not re.fullmatch(r"\d{11}", digits):
        return ""
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


def snils_checksum(first_nine: str) -> int:
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    remainder = total % 101
    return 0 if remainder == 100 else remainder


def validate_snils(value: str) -> None:
    digits = snils_normalize(value)
    if not re.fullmatch(r"\d{11}", digits):
        raise ValidationError(_("СНИЛС — 11 цифр, например 112-233-445 95."), code="snils_format")
    # Numbers up to 001-001-998 were issued before the checksum existed and are not checked.
    if int(digits[:9]) <= 1001998:
        return
    if snils_checksum(digits[:9]) != int(digits[9:]):
        raise ValidationError(
            _("В номере СНИЛС ошибка: контрольное число не совпадает. Проверьте цифры."),
            code="snils_checksum",
        )


def validate_passport_series(value: str) -> None:
    if not re.fullmatch(r"\d{4}", _NON_DIGITS.sub("", value or "")):
        raise ValidationError(_("Серия паспорта — 4 цифры, например 45 10."), code="passport_series")


def validate_passport_number(value: str) -> None:
    if not re.fullmatch(r"\d{6}", _NON_DIGITS.sub("", value or "")):
        raise ValidationError(_("Номер паспорта — 6 цифр."), code="passport_number")


def validate_division_code(value: str) -> None:
    if not re.fullmatch(r"\d{3}-?\d{3}", (value or "").strip()):
        raise ValidationError(_("Код подразделения — 6 цифр в виде 770-001."), code="division_code")
