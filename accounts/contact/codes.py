"""One-time SMS codes that prove a phone: made, hashed, compared, and the rules every one follows.

Used by registration (accounts.registration.services) and by the change of phone
(accounts.contact.services). Codes are stored only as a keyed hash (HMAC-SHA256 with SECRET_KEY):
a six-digit code under a plain hash would be reversed by trying all million values.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import otp_code_hash


def contact_code_generate() -> str:
    """Six random digits from the OS's CSPRNG."""
    return f"{secrets.randbelow(10**6):06d}"


def contact_code_hash(*, purpose: str, target: str, code: str) -> str:
    """Keyed hash of a code, bound to what it proves, so one code never confirms anything else."""
    return otp_code_hash(device_key=f"contact:{purpose}:{target}", code=code)


def contact_code_matches(*, purpose: str, target: str, code: str, code_hash: str) -> bool:
    code = "".join((code or "").split())
    if not code_hash or not code:
        return False
    return hmac.compare_digest(contact_code_hash(purpose=purpose, target=target, code=code), code_hash)


def code_check(*, failed_attempts: int, expires_at, matches: bool, on_failure: Callable[[], int]) -> None:
    """The rules every SMS code here follows; raises ValidationError, or returns when the code is right.

    The order matters: a code with its tries used up is refused before it is even compared, so the
    sixth try fails even with the right code; an expired code is refused without counting a try.
    `on_failure` counts one wrong try and returns the count so far.
    """
    limit = settings.SMS_CODE_MAX_FAILURES
    if failed_attempts >= limit:
        raise ValidationError(
            ngettext(
                "Код больше не действует: была %(limit)d неверная попытка. Запросите новый код.",
                "Код больше не действует: было %(limit)d неверных попыток. Запросите новый код.",
                limit,
            )
            % {"limit": limit},
            code="too_many",
        )
    if timezone.now() >= expires_at:
        raise ValidationError(_("Срок действия кода истёк. Запросите новый код."), code="expired")
    if not matches:
        left = limit - on_failure()
        if left <= 0:
            raise ValidationError(_("Неверный код. Попытки закончились — запросите новый код."), code="too_many")
        # The same text as the login pages: «Осталась 1 попытка», «Осталось попыток: 4». Its Russian
        # plural forms (and those of every ngettext here) are in locale/ru/LC_MESSAGES/django.po.
        raise ValidationError(
            ngettext("Неверный код. Осталась %(left)d попытка.", "Неверный код. Осталось попыток: %(left)d.", left)
            % {"left": left},
            code="invalid",
        )
