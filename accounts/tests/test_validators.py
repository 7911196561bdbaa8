"""SNILS check (FACTS.md): 11 digits, checksum of the first nine, old numbers unchecked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import snils_checksum, snils_normalize, validate_snils

CHECKSUM_MESSAGE = "В номере СНИЛС ошибка: контрольное число не совпадает. Проверьте цифры."
FORMAT_MESSAGE = "СНИЛС — 11 цифр, например 112-233-445 95."


def _error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_snils(value)
    return caught.value


@pytest.mark.parametrize(
    "snils",
    [
        "112-233-445 95",  # sum 95: under 100, the sum itself
        "001-019-989 00",  # sum 100 -> 00
        "642-185-924 00",  # sum 201 -> 201 mod 101 = 100 -> 00
        "11223344595",
        "112 233 445 95",
    ],
)
def test_valid_numbers_from_the_facts(snils):
    assert validate_snils(snils) is None


@pytest.mark.parametrize("snils", ["112-233-445 96", "001-019-989 01", "642-185-924 01", "642-185-924 99"])
def test_a_wrong_checksum_is_refused(snils):
    error = _error(snils)
    assert (error.code, error.messages) == ("snils_checksum", [CHECKSUM_MESSAGE])


@pytest.mark.parametrize(
    ("first_nine", "checksum"),
    [("112233445", 95), ("001019989", 0), ("642185924", 0), ("401652987", 61), ("001001999", 65)],
)
def test_checksum_rule(first_nine, checksum):
    assert snils_checksum(first_nine) == checksum


@pytest.mark.parametrize("snils", ["001-001-998 00", "001-001-998 57", "000-000-001 99", "001-001-001 12"])
def test_numbers_up_to_001_001_998_are_not_checked(snils):
    assert validate_snils(snils) is None


def test_the_first_number_after_001_001_998_is_checked():
    assert validate_snils("001-001-999 65") is None
    assert _error("001-001-999 64").code == "snils_checksum"


@pytest.mark.parametrize("value", ["", "112-233-445 9", "112-233-445 955", "112-233-44A 95"])
def test_wrong_shape_says_eleven_digits(value):
    error = _error(value)
    assert (error.code, error.messages) == ("snils_format", [FORMAT_MESSAGE])


def test_normalize():
    assert snils_normalize("112-233-445 95") == "11223344595"
