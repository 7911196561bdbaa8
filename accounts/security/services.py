"""Managing one's own second factors («Безопасность»): TOTP enrolment, backup codes, removal.

Every change is written to the audit log (FACTOR_ADDED / FACTOR_REMOVED). The last factor can't be
removed: an account without a second factor could not log in at all.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import AuditEventKind
from accounts.models import BackupCodeDevice, SmsDevice, User
from accounts.security.second_factor import backup_codes_generate, device_method, second_factor_devices
from accounts.services import audit_record


def totp_enrolment_start(*, user: User, device_id: int | None) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (re-used while the page is reloaded)."""
    device = TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first() if device_id else None
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Приложение-аутентификатор"), confirmed=False)
    return device


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (no third-party service ever sees the secret)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def totp_secret_text(*, device: TOTPDevice) -> str:
    """The key in base32, grouped by four, for typing into the app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_enrolment_confirm(*, user: User, device: TOTPDevice, token: str, request: HttpRequest | None) -> bool:
    """Confirm the app with one code from it; the code is spent (django-otp moves last_t on)."""
    if device.user_id != user.pk or device.confirmed:
        return False
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(kind=AuditEventKind.FACTOR_ADDED, request=request, subject=user, details={"method": "totp"})
    return True


@transaction.atomic
def backup_codes_replace(*, user: User, request: HttpRequest | None) -> list[str]:
    codes = backup_codes_generate(user=user, request=request)
    audit_record(kind=AuditEventKind.FACTOR_ADDED, request=request, subject=user, details={"method": "backup_code"})
    return codes


@transaction.atomic
def factor_remove(*, user: User, persistent_id: str, request: HttpRequest | None) -> None:
    """Remove one TOTP app or the backup codes. Raises ValidationError for the last factor or SMS."""
    with transaction.atomic():
        devices = second_factor_devices(user=user)
        device: Device | None = next((d for d in devices if d.persistent_id == persistent_id), None)
        if device is None:
            raise ValidationError(_("Такого способа входа нет."))
        if isinstance(device, SmsDevice):
            raise ValidationError(
                _("SMS-коды приходят на подтверждённый телефон; чтобы их отключить, смените телефон.")
            )
        if len(devices) <= 1:
            raise ValidationError(_("Нельзя удалить последний способ подтверждения входа. Сначала добавьте другой."))
        method = device_method(device)
        if isinstance(device, BackupCodeDevice):
            BackupCodeDevice.objects.filter(user=user).delete()
        else:
            device.delete()
    audit_record(kind=AuditEventKind.FACTOR_REMOVED, request=request, subject=user, details={"method": method})
