"""`manage.py seed_demo`: demo accounts for every role, printed as a table of logins."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.demo import DEMO_PASSWORD, demo_accounts_seed, demo_signing_pair_ensure


def demo_refused_reason(*, force: bool) -> str:
    """Why demo data must not be written here, or "" when it may.

    DEBUG off on PostgreSQL looks like production: demo accounts with a published password there
    would be a way in for anyone who reads the README.
    """
    if force or settings.DEBUG or connection.vendor != "postgresql":
        return ""
    return (
        "Отказ: DEBUG выключен и база — PostgreSQL (похоже на рабочий сервер). Демо-учётные записи с "
        "известным паролем туда не записываются; если это точно не прод, добавьте --force.\n"
        "Refused: DEBUG is off and the database is PostgreSQL (looks like production). Demo accounts "
        "with a published password are not written there; if this really is not production, add --force."
    )


class Command(BaseCommand):
    help = "Создаёт демо-учётные записи всех ролей и справочники (повторный запуск ничего не меняет)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off on PostgreSQL.")
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for every demo account.")

    def handle(self, *args, force: bool, password: str, **options) -> None:
        reason = demo_refused_reason(force=force)
        if reason:
            raise CommandError(reason)
        try:
            accounts = demo_accounts_seed(password=password)
        except ValidationError as error:
            raise CommandError(
                "Пароль не проходит проверки / password rejected: " + " ".join(error.messages)
            ) from error
        except LookupError as error:
            raise CommandError(str(error)) from error
        _signing_key, signing_cert, signing_made = demo_signing_pair_ensure()

        write = self.stdout.write
        write(self.style.SUCCESS("Демо-данные готовы / Demo data ready.\n"))
        rows = [("Роль / Role", "Логин / Login", "Пароль / Password", "Второй фактор / Second factor")]
        for account in accounts:
            login = f"{account.phone} / {account.email}" if account.phone else account.email
            if account.is_staff:
                factor = f"python manage.py demo_totp {account.email}"
            else:
                factor = f"SMS: {settings.PORTAL_BASE_URL}/dev/outbox/"
            rows.append((account.role, login, account.password, factor))
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        for index, row in enumerate(rows):
            write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                write("  ".join("-" * width for width in widths))
        write("\nTOTP для входа в админку (/admin/) / TOTP for the admin site:")
        for account in accounts:
            if account.is_staff:
                write(f"  {account.email}")
                write(f"    секрет / secret (base32): {account.totp_secret}")
                write(f"    {account.totp_url}")
        write(
            f"\nПодпись электронных полисов (демо, самоподписанный сертификат) / Policy PDF signing (demo): "
            f"{signing_cert}{' — создан / created' if signing_made else ''}"
        )
        write(
            "\nГражданин входит по телефону или e-mail и паролю; код из SMS виден на странице /dev/outbox/ "
            "(только при DEBUG).\nCitizens log in with the phone or e-mail and the password; the SMS code "
            "is shown at /dev/outbox/ (DEBUG only)."
        )
