"""`manage.py demo_totp <email>`: the current TOTP code of a demo staff account (local use only)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.demo import demo_totp_code, demo_totp_device


class Command(BaseCommand):
    help = "Печатает текущий код TOTP демо-устройства сотрудника (только при DEBUG)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="E-mail of a staff account created by seed_demo.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, email: str, force: bool, **options) -> None:
        # A second factor printed by a command is no second factor: allow it only on a dev machine.
        if not settings.DEBUG and not force:
            raise CommandError(
                "Отказ: DEBUG выключен; команда только для локального демо (или --force).\n"
                "Refused: DEBUG is off; this command is for the local demo only (or --force)."
            )
        try:
            device = demo_totp_device(email=email)
        except TOTPDevice.DoesNotExist:
            raise CommandError(
                f"У {email} нет демо-устройства TOTP; сначала выполните seed_demo.\n"
                f"{email} has no demo TOTP device; run seed_demo first."
            ) from None
        self.stdout.write(demo_totp_code(device=device))
