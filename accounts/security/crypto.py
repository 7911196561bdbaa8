"""Personal data encrypted at rest (SNILS, passport data) and the keyed hash that finds a SNILS.

- ``EncryptedTextField`` keeps Fernet ciphertext (AES-128-CBC + HMAC-SHA256, a random IV per value)
  in the database and plain text in Python. The same SNILS encrypts differently every time, so
  the column can't be searched or joined: equality lookups on it raise instead of silently
  finding nothing. Search by ``User.snils_hash`` (``snils_lookup_hash``) instead.
- Keys: FIELD_ENCRYPTION_KEYS, newest first (MultiFernet: the first encrypts, every one decrypts,
  so a key can be rotated by putting a new one in front and re-saving rows). Without the variable
  one key is derived from SECRET_KEY — fine for the demo; production sets its own keys so that a
  SECRET_KEY rotation does not make the data unreadable.
- The lookup hash is HMAC-SHA256 under a key derived from the first encryption key, so a stolen
  table can't be matched against a list of all 10⁹ SNILS numbers without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.db.models.lookups import Exact

_FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with the version byte 0x80 and a timestamp


def _derived_key(secret: str, label: str) -> bytes:
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), label.encode(), hashlib.sha256).digest())


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS) or (
        _derived_key(settings.SECRET_KEY, "oms-portal field encryption").decode(),
    )
    return keys


def field_encrypt(value: str) -> str:
    return _fernet(_keys()).encrypt(value.encode()).decode()


def field_decrypt(value: str) -> str:
    if not value.startswith(_FERNET_PREFIX):
        return value  # a row written before encryption (the migration re-saves them all)
    try:
        return _fernet(_keys()).decrypt(value.encode()).decode()
    except InvalidToken as error:
        raise ValueError("encrypted field: no key in FIELD_ENCRYPTION_KEYS opens this value") from error


def snils_lookup_hash(snils: str | None) -> str | None:
    """The keyed hash a SNILS is found by (digits only; None for none)."""
    from accounts.validators import snils_normalize

    digits = snils_normalize(snils or "")
    if not digits:
        return None
    key = _derived_key(_keys()[0], "oms-portal snils lookup")
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Plain text in Python, Fernet ciphertext in the database; only `isnull` lookups are allowed."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return field_encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return field_decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _NoneOnlyExact  # `field=None` becomes `isnull`; any value would never match
        if lookup_name != "isnull":
            raise NotImplementedError(
                f"{self.name}: encrypted, it can't be searched with «{lookup_name}»; use the lookup hash"
            )
        return super().get_lookup(lookup_name)


class _NoneOnlyExact(Exact):
    def __init__(self, lhs, rhs):
        if rhs is not None:
            raise NotImplementedError("an encrypted field can't be searched by value; use the lookup hash")
        super().__init__(lhs, rhs)
