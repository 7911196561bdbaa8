"""Issue 6 point 6: SNILS and passport data encrypted at rest, found by a keyed hash, purged on time."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from accounts.backends import user_find_by_login
from accounts.constants import VerificationStatus
from accounts.models import IdentityVerification, User
from accounts.security.crypto import snils_lookup_hash
from accounts.tests.admin_helpers import VALID_SNILS, standard_citizen_make, verification_make
from accounts.tests.factories import CitizenFactory
from accounts.verification.services import identity_video_purge_expired

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - names are ours
        return cursor.fetchone()[0]


def test_the_snils_is_ciphertext_in_the_database_and_found_by_its_hash():
    user = CitizenFactory(snils=VALID_SNILS)
    stored = _raw("accounts_user", "snils", user.pk)
    assert stored.startswith("gAAAAA") and VALID_SNILS not in stored
    assert User.objects.get(pk=user.pk).snils == VALID_SNILS
    assert _raw("accounts_user", "snils_hash", user.pk) == snils_lookup_hash("112-233-445 95")
    assert user_find_by_login("112-233-445 95") == user
    # The same number encrypts differently each time: the column can't be matched, only the hash.
    other = CitizenFactory(snils="64218592400")
    assert _raw("accounts_user", "snils", other.pk) != stored
    with pytest.raises(NotImplementedError):
        User.objects.filter(snils=VALID_SNILS).exists()


def test_changing_the_snils_keeps_the_hash_in_step():
    user = CitizenFactory(snils=VALID_SNILS)
    user.snils = "64218592400"
    user.save(update_fields=["snils"])
    assert User.objects.get(snils_hash=snils_lookup_hash("642-185-924 00")) == user
    user.snils = None
    user.save(update_fields=["snils"])
    assert _raw("accounts_user", "snils_hash", user.pk) is None


def test_passport_data_is_ciphertext_and_is_purged_with_the_video(settings):
    applicant = standard_citizen_make()
    verification = verification_make(
        user=applicant, status=VerificationStatus.REFUSED, decided_days_ago=settings.IDENTITY_VIDEO_RETENTION_DAYS + 1
    )
    for column in ("passport_series", "passport_number", "passport_division_code", "snils"):
        value = _raw("accounts_identityverification", column, verification.pk)
        assert value.startswith("gAAAAA"), column
    fresh = IdentityVerification.objects.get(pk=verification.pk)
    assert (fresh.passport_series, fresh.passport_number) == (
        verification.passport_series,
        verification.passport_number,
    )
    assert identity_video_purge_expired() == 1
    fresh.refresh_from_db()
    assert (fresh.passport_series, fresh.passport_number, fresh.passport_division_code, fresh.snils) == ("", "", "", "")
    assert fresh.video_deleted_at is not None


def test_recent_decisions_keep_their_passport_data(settings):
    applicant = standard_citizen_make()
    verification = verification_make(user=applicant, status=VerificationStatus.REFUSED, decided_days_ago=1)
    identity_video_purge_expired(now=timezone.now())
    verification.refresh_from_db()
    assert verification.passport_number != ""


def test_the_migration_encrypts_rows_written_in_clear():
    user = CitizenFactory()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET snils = %s, snils_hash = NULL WHERE id = %s", [VALID_SNILS, user.pk])
    assert User.objects.get(pk=user.pk).snils == VALID_SNILS  # rows from before still read
    migration = importlib.import_module("accounts.migrations.0006_harden_identity_encryption")
    migration.identity_data_encrypt(django_apps, None)
    assert _raw("accounts_user", "snils", user.pk).startswith("gAAAAA")
    assert user_find_by_login(VALID_SNILS) == user
