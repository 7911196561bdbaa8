"""Second factors: SMS codes, TOTP apps and backup codes, with django-otp as the engine.

The API other parts of accounts call (registration, contact change, the login steps):

- ``second_factor_devices(*, user)`` — the confirmed devices a person can use now;
- ``second_factor_send_sms(*, user, request)`` — send a login code (raises ResendTooSoon, SmsRateLimited);
- ``second_factor_verify(*, user, token, request)`` — try SMS, TOTP, then backup codes; the device or None.

Limits (NIST 800-63B §5.2.2, rate limiting): a code allows 5 wrong tries, a resend of a code that is
still usable waits 60 s and keeps the count (a new login after the last code was used or expired gets
a code at once; accounts.security.sms_limits bounds SMS per phone/IP/day); across every factor an account
allows SECOND_FACTOR_FAILURE_LIMIT wrong codes in SECOND_FACTOR_FAILURE_WINDOW_SECONDS, after which the
second factor is locked (SecondFactorLocked) until the window passes or a code succeeds elsewhere (the
count resets on success).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import AuditEventKind
from accounts.models import BackupCode, BackupCodeDevice, SmsDevice, User, otp_code_hash
from accounts.security.sms_limits import SmsPurpose, SmsRateLimited, sms_send_allowed
from accounts.services import audit_record, request_ip, sms_code_send
from common.counters import counter_hit

__all__ = [
    "NoSmsDevice",
    "ResendTooSoon",
    "SecondFactorLocked",
    "SmsRateLimited",
    "backup_code_was_used",
    "backup_codes_generate",
    "device_method",
    "second_factor_devices",
    "second_factor_failure_count",
    "second_factor_failures_reset",
    "second_factor_lock_failures",
    "second_factor_locked_until",
    "second_factor_send_sms",
    "second_factor_verify",
    "sms_code_status",
    "sms_code_tries_left",
    "sms_device_for",
    "sms_resend_seconds_left",
]

# Backup codes: 10 characters from an alphabet without look-alikes (0/O, 1/I/L): about 49 bits.
_BACKUP_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_BACKUP_LENGTH = 10


@dataclass(frozen=True)
class ResendTooSoon(Exception):
    """A new SMS code was asked for before SMS_CODE_RESEND_SECONDS passed."""

    seconds_left: int


@dataclass(frozen=True)
class SecondFactorLocked(Exception):
    """Too many wrong codes for this account; no code is checked until `until`."""

    until: datetime


class NoSmsDevice(Exception):
    """The account has no confirmed phone, so no SMS code can be sent."""


# --- devices --------------------------------------------------------------------------------------


def sms_device_for(*, user: User) -> SmsDevice | None:
    """The user's SMS device, created on demand once the phone is confirmed; None without one."""
    if not user.phone or user.phone_confirmed_at is None:
        return None
    device = SmsDevice.objects.filter(user=user).first()
    if device is None:
        device, _created = SmsDevice.objects.get_or_create(
            user=user, defaults={"name": "SMS", "confirmed": True, "valid_until": timezone.now()}
        )
    return device


def second_factor_devices(*, user: User) -> list[Device]:
    """Every confirmed second factor of `user`: SMS (if the phone is confirmed), TOTP apps, backup codes.

    Backup codes with none left unused are not listed: they can no longer let anyone in.
    """
    devices: list[Device] = []
    sms = sms_device_for(user=user)
    if sms is not None:
        devices.append(sms)
    devices.extend(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))
    for backup in BackupCodeDevice.objects.filter(user=user, confirmed=True).order_by("pk"):
        if backup.unused_count:
            devices.append(backup)
    return devices


# --- the per-account failure limit (cache) ------------------------------------------------------


def _failures_key(user: User) -> str:
    return f"second-factor:failures:{user.pk}"


def _locked_key(user: User) -> str:
    return f"second-factor:locked:{user.pk}"


def second_factor_locked_until(*, user: User) -> datetime | None:
    """When the account's second factor unlocks, or None when it is not locked."""
    value = cache.get(_locked_key(user))
    if value is None:
        return None
    if isinstance(value, dict):
        value = value["until"]
    until = datetime.fromtimestamp(float(value), tz=timezone.get_current_timezone())
    return until if until > timezone.now() else None


def second_factor_lock_failures(*, user: User) -> int:
    """How many wrong codes locked the second factor (kept with the lock: the counter may expire first)."""
    value = cache.get(_locked_key(user))
    if isinstance(value, dict):
        return int(value["failures"])
    return settings.SECOND_FACTOR_FAILURE_LIMIT if value is not None else 0


def second_factor_failures_reset(*, user: User) -> None:
    cache.delete_many([_failures_key(user), _locked_key(user)])


def _failure_count(*, user: User, request: HttpRequest | None, method: str) -> None:
    """Count one wrong code; at the limit lock the second factor for the window and record it."""
    window = settings.SECOND_FACTOR_FAILURE_WINDOW_SECONDS
    key = _failures_key(user)
    count = counter_hit(key, window_seconds=window)
    audit_record(
        kind=AuditEventKind.SECOND_FACTOR_FAILED,
        request=request,
        actor=None,
        subject=user,
        details={"method": method, "failures": count},
    )
    if count >= settings.SECOND_FACTOR_FAILURE_LIMIT:
        until = timezone.now() + timedelta(seconds=window)
        cache.set(_locked_key(user), {"until": until.timestamp(), "failures": count}, timeout=window)
        audit_record(
            kind=AuditEventKind.LOCKED_OUT,
            request=request,
            actor=None,
            subject=user,
            details={"step": "second_factor", "until": until.isoformat()},
        )


def second_factor_failure_count(*, user: User, request: HttpRequest | None, method: str) -> None:
    """Count one wrong code checked outside second_factor_verify (the admin login's TOTP form)."""
    _failure_count(user=user, request=request, method=method)


# --- SMS ------------------------------------------------------------------------------------------


def _sms_code_outstanding(device: SmsDevice, now: datetime) -> bool:
    """A code was sent, is neither used nor expired, and still has tries left."""
    return bool(
        device.token_hash and now < device.valid_until and device.failure_count < settings.SMS_CODE_MAX_FAILURES
    )


def second_factor_send_sms(*, user: User, request: HttpRequest | None) -> None:
    """Send a new login code by SMS to the confirmed phone.

    Before: the phone is confirmed (else NoSmsDevice). Refused with ResendTooSoon(seconds_left) within
    SMS_CODE_RESEND_SECONDS of the previous code while that code is still outstanding (unused, unexpired,
    tries left) — a real resend; once it was used or died, a new login gets a code at once. Refused with
    SmsRateLimited when a phone/IP/day limit is
    used up, and with SecondFactorLocked while the account is locked.
    Changes: the device holds the new code's hash and a fresh 10-minute validity. The wrong-try count
    is kept while the previous code is still alive (a resend must not buy more guesses) and starts
    again only when that code expired or was spent by wrong tries. Schedules the SMS delivery
    (notifications outbox, sensitive: the body is erased once sent).
    """
    locked_until = second_factor_locked_until(user=user)
    if locked_until is not None:
        raise SecondFactorLocked(locked_until)
    with transaction.atomic():
        device = sms_device_for(user=user)
        if device is None:
            raise NoSmsDevice
        device = SmsDevice.objects.select_for_update().get(pk=device.pk)
        now = timezone.now()
        if device.last_sent_at is not None and _sms_code_outstanding(device, now):
            waited = (now - device.last_sent_at).total_seconds()
            if waited < settings.SMS_CODE_RESEND_SECONDS:
                raise ResendTooSoon(math.ceil(settings.SMS_CODE_RESEND_SECONDS - waited))
        sms_send_allowed(phone=user.phone.as_e164, ip_address=request_ip(request), purpose=SmsPurpose.LOGIN)
        code_spent = now >= device.valid_until or device.failure_count >= settings.SMS_CODE_MAX_FAILURES
        if code_spent:
            device.failure_count = 0
        code = device.generate_token(length=6, valid_secs=settings.SMS_CODE_VALID_SECONDS)
        sms_code_send(
            user=user, event="login_code", code=code, dedupe_key=f"login_code:{device.pk}:{secrets.token_hex(8)}"
        )


# --- backup codes ---------------------------------------------------------------------------------


def backup_codes_generate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Replace the user's backup codes with BACKUP_CODES_COUNT new ones and return them (shown once).

    The old codes stop working at once. Only keyed hashes are stored.
    """
    with transaction.atomic():
        BackupCodeDevice.objects.filter(user=user).delete()
        device = BackupCodeDevice.objects.create(user=user, name="Резервные коды", confirmed=True)
        codes: list[str] = []
        while len(codes) < settings.BACKUP_CODES_COUNT:
            code = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_LENGTH))
            if code not in codes:
                codes.append(code)
        BackupCode.objects.bulk_create(
            BackupCode(device=device, code_hash=otp_code_hash(device_key=f"backup:{device.pk}", code=code))
            for code in codes
        )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def backup_code_was_used(*, user: User, token: str) -> bool:
    """Whether `token` is one of the user's backup codes that was already used (to say so)."""
    code = "".join(ch for ch in str(token).upper() if ch.isalnum())
    device = BackupCodeDevice.objects.filter(user=user, confirmed=True).first()
    if not code or device is None:
        return False
    digest = otp_code_hash(device_key=f"backup:{device.pk}", code=code)
    return BackupCode.objects.filter(device=device, code_hash=digest, used_at__isnull=False).exists()


# --- verification ---------------------------------------------------------------------------------


def device_method(device: Device) -> str:
    """ "sms", "totp" or "backup_code": the name a device's kind goes by in forms and the audit log."""
    if isinstance(device, SmsDevice):
        return "sms"
    if isinstance(device, TOTPDevice):
        return "totp"
    return "backup_code"


def sms_code_status(*, user: User) -> str:
    """The state of the last SMS code: "none", "active", "expired" or "spent" (5 wrong tries)."""
    device = SmsDevice.objects.filter(user=user).first()
    if device is None or device.last_sent_at is None:
        return "none"
    if device.failure_count >= settings.SMS_CODE_MAX_FAILURES:
        return "spent"
    if not device.token_hash:
        return "none"
    if timezone.now() >= device.valid_until:
        return "expired"
    return "active"


def sms_code_tries_left(*, user: User) -> int:
    """Wrong tries the current SMS code still allows (0 when there is no live code)."""
    device = SmsDevice.objects.filter(user=user).first()
    if device is None or not _sms_code_outstanding(device, timezone.now()):
        return 0
    return settings.SMS_CODE_MAX_FAILURES - device.failure_count


def sms_resend_seconds_left(*, user: User) -> int:
    """Seconds until a new SMS code may be sent (0: now, also whenever no code is outstanding)."""
    device = SmsDevice.objects.filter(user=user).first()
    now = timezone.now()
    if device is None or device.last_sent_at is None or not _sms_code_outstanding(device, now):
        return 0
    waited = (now - device.last_sent_at).total_seconds()
    return max(0, math.ceil(settings.SMS_CODE_RESEND_SECONDS - waited))


def second_factor_verify(
    *, user: User, token: str, request: HttpRequest | None, method: str | None = None
) -> Device | None:
    """Check `token` against the user's SMS code, TOTP apps, then backup codes.

    `method` ("sms", "totp" or "backup_code") limits the check to one kind, so a code typed for one
    factor never counts as a wrong try against another; without it, an SMS code is tried only while
    one is pending.

    Returns the device that accepted it (the code is spent: SMS cleared, TOTP's last_t moved on,
    the backup code marked used) or None. A wrong code counts against the code (SMS) and the account;
    raises SecondFactorLocked while the account is locked — then no code is checked at all.
    Records SECOND_FACTOR_FAILED / LOCKED_OUT audit events; the caller records the login itself.
    """
    locked_until = second_factor_locked_until(user=user)
    if locked_until is not None:
        raise SecondFactorLocked(locked_until)
    token = "".join((token or "").split())
    if not token:
        return None
    tried: list[str] = []
    with transaction.atomic():
        for device in second_factor_devices(user=user):
            # Lock the row: two requests racing with one code must not both succeed.
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            is_digits = token.isdigit() and len(token) == 6
            if isinstance(locked, SmsDevice | TOTPDevice) and not is_digits:
                continue
            if isinstance(locked, BackupCodeDevice) and is_digits:
                continue
            kind = device_method(locked)
            if method is not None and kind != method:
                continue
            if method is None and isinstance(locked, SmsDevice) and not locked.token_hash:
                continue
            tried.append(kind)
            if locked.verify_token(token):
                second_factor_failures_reset(user=user)
                return locked
    _failure_count(user=user, request=request, method="+".join(tried) or "none")
    return None
