"""Helpers for admin tests: a staff session that passed the TOTP second factor, and sample videos."""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import IdentityLevel, VerificationStatus
from accounts.models import IdentityVerification, User

PASSWORD = "Пароль-для-тестов-1"  # accounts.tests.factories.UserFactory


def _ebml(element_id: bytes, data: bytes, *, unknown_size: bool = False) -> bytes:
    size = b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown_size else b"\x01" + len(data).to_bytes(7, "big")
    return element_id + size + data


def webm_sample(payload: bytes = bytes(range(256)) * 4) -> bytes:
    """The shape MediaRecorder writes: EBML header (DocType webm), Segment of unknown size with Info,
    Tracks and a Cluster of unknown size holding one SimpleBlock with `payload`."""
    header = _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x86", b"\x01") + _ebml(b"\x42\x82", b"webm"))
    info = _ebml(b"\x15\x49\xa9\x66", _ebml(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big")))
    tracks = _ebml(b"\x16\x54\xae\x6b", _ebml(b"\xae", _ebml(b"\xd7", b"\x01") + _ebml(b"\x86", b"V_VP8")))
    cluster = _ebml(b"\x1f\x43\xb6\x75", _ebml(b"\xe7", b"\x00") + _ebml(b"\xa3", payload), unknown_size=True)
    return header + _ebml(b"\x18\x53\x80\x67", info + tracks + cluster, unknown_size=True)


def webm_sample_of_size(size: int) -> bytes:
    """A playable-shaped WebM of exactly `size` bytes (the block's payload is padded)."""
    return webm_sample(b"\x00" * (size - len(webm_sample(b""))))


def mp4_sample(media: bytes = b"\x00" * 1000) -> bytes:
    box = lambda kind, data: (8 + len(data)).to_bytes(4, "big") + kind + data  # noqa: E731
    track_table = box(b"moov", box(b"mvhd", b"\x00" * 100))
    return box(b"ftyp", b"mp42\x00\x00\x00\x00mp42isom") + track_table + box(b"mdat", media)


WEBM_BYTES = webm_sample()
MP4_BYTES = mp4_sample()
VALID_SNILS = "11223344595"


def totp_device_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Приложение", confirmed=True)


def totp_token(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{code:0{device.digits}d}"


def verified_staff_client(user: User) -> Client:
    """A client logged in as `user` and verified by a TOTP device, as the admin login would leave it."""
    device = TOTPDevice.objects.filter(user=user).first() or totp_device_for(user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def verification_make(
    *,
    user: User,
    status: str = VerificationStatus.PENDING,
    decided_days_ago: int | None = None,
    verifier: User | None = None,
    content: bytes = WEBM_BYTES,
    submitted_days_ago: int = 0,
) -> IdentityVerification:
    """A verification row with a real file in private storage."""
    now = timezone.now()
    verification = IdentityVerification(
        user=user,
        passport_series="4510",
        passport_number="123456",
        passport_issued_at=datetime.date(2015, 3, 15),
        passport_division_code="770-001",
        snils=VALID_SNILS,
        status=status,
        verifier=verifier,
        video_content_type="video/webm",
        video_size=len(content),
        submitted_at=now - datetime.timedelta(days=submitted_days_ago),
        decided_at=None if decided_days_ago is None else now - datetime.timedelta(days=decided_days_ago),
    )
    verification.video.save(f"identity-{user.pk}.webm", ContentFile(content), save=False)
    verification.save()
    return verification


def standard_citizen_make(**extra) -> User:
    """Phone and e-mail confirmed, identity not yet: the account that may send a video."""
    from accounts.tests.factories import CitizenFactory

    values = {"identity_level": IdentityLevel.STANDARD, "identity_confirmed_at": None, "snils": None, **extra}
    return CitizenFactory(**values)
