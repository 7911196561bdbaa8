"""Request numbers: short enough to read over the phone, with a check digit, never guessable.

A number is 10 random digits (from `secrets`, so one citizen's number says nothing about the next)
and a Luhn check digit: 11 digits, shown in groups «123-456-789-01». A support operator who mishears
one digit, or swaps two neighbours, gets «такой заявки нет» rather than someone else's request.
"""

from __future__ import annotations

import re
import secrets

from oms_policy.validators import luhn_is_valid

NUMBER_LENGTH = 11


def request_number_generate() -> str:
    body = f"{secrets.randbelow(9 * 10**9) + 10**9:010d}"  # no leading zero: nothing is lost if typed as a number
    return body + str(next(d for d in range(10) if luhn_is_valid(f"{body}{d}")))


def request_number_normalize(value: str) -> str:
    """Digits only: «123 456-789 01» → «12345678901»."""
    return re.sub(r"\D", "", value or "")


def request_number_is_valid(value: str) -> bool:
    digits = request_number_normalize(value)
    return len(digits) == NUMBER_LENGTH and luhn_is_valid(digits)


def request_number_display(value: str | None) -> str:
    if not value:
        return ""
    return f"{value[0:3]}-{value[3:6]}-{value[6:9]}-{value[9:]}"
