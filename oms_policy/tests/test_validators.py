"""ЕНП check (FACTS.md): 16 digits, Luhn over all of them, typed with spaces or dashes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from oms_policy.validators import enp_normalize, validate_enp

VALID_ENPS = ["8451999122899990", "2847040848000286"]
FORMAT_MESSAGE = "Номер полиса (ЕНП) — 16 цифр, например 8451 9991 2289 9990."
CHECKSUM_MESSAGE = "В номере полиса ошибка: последняя (контрольная) цифра не сходится. Сверьте номер с полисом."


def _error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_enp(value)
    return caught.value


@pytest.mark.parametrize("enp", VALID_ENPS)
def test_the_worked_examples_are_valid(enp):
    assert validate_enp(enp) is None


@pytest.mark.parametrize("enp", VALID_ENPS)
def test_changing_any_single_digit_makes_it_invalid(enp):
    checked = 0
    for position in range(16):
        for digit in "0123456789":
            if digit == enp[position]:
                continue
            changed = enp[:position] + digit + enp[position + 1 :]
            error = _error(changed)
            assert (error.code, error.messages) == ("enp_checksum", [CHECKSUM_MESSAGE]), changed
            checked += 1
    assert checked == 16 * 9


@pytest.mark.parametrize(
    "typed",
    ["8451 9991 2289 9990", "8451-9991-2289-9990", " 8451 9991-2289 9990 ", "2847 0408 4800 0286"],
)
def test_spaces_and_dashes_are_accepted(typed):
    assert validate_enp(typed) is None


def test_normalize_keeps_the_digits_only():
    assert enp_normalize("8451 9991-2289 9990") == "8451999122899990"
    assert enp_normalize("") == ""


@pytest.mark.parametrize("value", ["", "845199912289999", "84519991228999900", "8451 9991 2289 999O", "abcd"])
def test_wrong_length_or_letters_say_sixteen_digits(value):
    error = _error(value)
    assert (error.code, error.messages) == ("enp_format", [FORMAT_MESSAGE])
