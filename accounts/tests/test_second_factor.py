"""The second-factor rules (issue 3, item 2), each on its own: SMS codes, TOTP, backup codes."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import AuditEventKind
from accounts.models import AuditEvent, BackupCode, SmsDevice
from accounts.security.second_factor import (
    ResendTooSoon,
    SecondFactorLocked,
    backup_codes_generate,
    second_factor_devices,
    second_factor_send_sms,
    second_factor_verify,
    sms_code_status,
)
from accounts.tests import login_support
from accounts.tests.factories import UserFactory
from accounts.tests.login_support import last_sms_code

pytestmark = pytest.mark.django_db
clock = login_support.clock  # the fixture: moves timezone.now()


def send(user, capture) -> str:
    from notifications.backends.sms import LocmemSmsBackend

    with capture(execute=True):
        second_factor_send_sms(user=user, request=None)
    return last_sms_code(LocmemSmsBackend.outbox)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_sms_text_names_the_action_and_warns(citizen, sms_outbox, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    assert sms_outbox == [
        {
            "to": citizen.phone.as_e164,
            "text": f"Код для входа на портал ОМС: {code}. Никому его не сообщайте — "
            "сотрудники портала и поликлиники его не спрашивают.",
        }
    ]


def test_sms_code_is_stored_hashed_not_plain(citizen, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    device = SmsDevice.objects.get(user=citizen)
    assert device.token is None
    assert len(device.token_hash) == 64
    assert code not in device.token_hash


def test_sms_code_works_once(citizen, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    device = second_factor_verify(user=citizen, token=code, request=None, method="sms")
    assert isinstance(device, SmsDevice)
    assert second_factor_verify(user=citizen, token=code, request=None, method="sms") is None


def test_sms_code_valid_for_ten_minutes_and_expired_at_10_01(citizen, clock, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    clock.advance(minutes=10, seconds=1)
    assert second_factor_verify(user=citizen, token=code, request=None, method="sms") is None
    assert sms_code_status(user=citizen) == "expired"


def test_sms_code_still_valid_at_9_59(citizen, clock, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    clock.advance(minutes=9, seconds=59)
    assert isinstance(second_factor_verify(user=citizen, token=code, request=None, method="sms"), SmsDevice)


def test_sixth_try_is_refused_even_with_the_right_code(citizen, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    for _ in range(5):
        assert second_factor_verify(user=citizen, token=wrong(code), request=None, method="sms") is None
    assert second_factor_verify(user=citizen, token=code, request=None, method="sms") is None
    assert sms_code_status(user=citizen) == "spent"
    assert SmsDevice.objects.get(user=citizen).failure_count == 5


def test_fifth_try_with_the_right_code_still_works(citizen, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    for _ in range(4):
        second_factor_verify(user=citizen, token=wrong(code), request=None, method="sms")
    assert isinstance(second_factor_verify(user=citizen, token=code, request=None, method="sms"), SmsDevice)


def test_resend_within_60_seconds_is_refused_with_seconds_left(
    citizen, clock, sms_outbox, django_capture_on_commit_callbacks
):
    send(citizen, django_capture_on_commit_callbacks)
    clock.advance(seconds=20)
    with pytest.raises(ResendTooSoon) as refused:
        second_factor_send_sms(user=citizen, request=None)
    assert refused.value.seconds_left == 40
    assert len(sms_outbox) == 1


def test_resend_after_60_seconds_sends_a_new_code(citizen, clock, sms_outbox, django_capture_on_commit_callbacks):
    first = send(citizen, django_capture_on_commit_callbacks)
    clock.advance(seconds=61)
    second = send(citizen, django_capture_on_commit_callbacks)
    assert len(sms_outbox) == 2
    if first != second:  # the old code died with the resend
        assert second_factor_verify(user=citizen, token=first, request=None, method="sms") is None
    assert isinstance(second_factor_verify(user=citizen, token=second, request=None, method="sms"), SmsDevice)


def test_resend_does_not_reset_the_failure_count(citizen, clock, django_capture_on_commit_callbacks):
    first = send(citizen, django_capture_on_commit_callbacks)
    for _ in range(3):
        second_factor_verify(user=citizen, token=wrong(first), request=None, method="sms")
    clock.advance(seconds=61)
    second = send(citizen, django_capture_on_commit_callbacks)
    assert SmsDevice.objects.get(user=citizen).failure_count == 3
    for _ in range(2):
        second_factor_verify(user=citizen, token=wrong(second), request=None, method="sms")
    # 3 + 2 wrong tries: the new code is spent too, the right one is refused.
    assert second_factor_verify(user=citizen, token=second, request=None, method="sms") is None


def test_a_new_code_after_a_spent_one_starts_a_fresh_count(citizen, clock, django_capture_on_commit_callbacks):
    first = send(citizen, django_capture_on_commit_callbacks)
    for _ in range(5):
        second_factor_verify(user=citizen, token=wrong(first), request=None, method="sms")
    clock.advance(seconds=61)
    second = send(citizen, django_capture_on_commit_callbacks)
    assert SmsDevice.objects.get(user=citizen).failure_count == 0
    assert isinstance(second_factor_verify(user=citizen, token=second, request=None, method="sms"), SmsDevice)


def test_account_limit_locks_the_second_factor_and_success_is_refused(
    citizen, clock, django_capture_on_commit_callbacks
):
    code = send(citizen, django_capture_on_commit_callbacks)
    for _ in range(5):
        second_factor_verify(user=citizen, token=wrong(code), request=None, method="sms")
    clock.advance(seconds=61)
    code = send(citizen, django_capture_on_commit_callbacks)
    for _ in range(4):
        second_factor_verify(user=citizen, token=wrong(code), request=None, method="sms")
    assert second_factor_verify(user=citizen, token=wrong(code), request=None, method="sms") is None  # 10th
    with pytest.raises(SecondFactorLocked):
        second_factor_verify(user=citizen, token=code, request=None, method="sms")
    with pytest.raises(SecondFactorLocked):
        second_factor_send_sms(user=citizen, request=None)
    kinds = list(AuditEvent.objects.filter(subject=citizen).values_list("kind", flat=True))
    assert kinds.count(AuditEventKind.SECOND_FACTOR_FAILED) == settings.SECOND_FACTOR_FAILURE_LIMIT
    assert kinds.count(AuditEventKind.LOCKED_OUT) == 1


def test_failed_code_audit_has_no_code(citizen, django_capture_on_commit_callbacks):
    code = send(citizen, django_capture_on_commit_callbacks)
    second_factor_verify(user=citizen, token=wrong(code), request=None, method="sms")
    event = AuditEvent.objects.get(kind=AuditEventKind.SECOND_FACTOR_FAILED)
    assert event.details == {"method": "sms", "failures": 1}


def totp_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def totp_now(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_totp_code_accepted_then_replay_rejected(citizen):
    device = totp_device(citizen)
    code = totp_now(device)
    assert second_factor_verify(user=citizen, token=code, request=None, method="totp") == device
    assert second_factor_verify(user=citizen, token=code, request=None, method="totp") is None
    device.refresh_from_db()
    assert device.last_t == int(time.time()) // device.step or device.last_t == int(time.time()) // device.step - 1


def test_totp_code_does_not_spend_sms_tries(citizen, django_capture_on_commit_callbacks):
    send(citizen, django_capture_on_commit_callbacks)
    device = totp_device(citizen)
    assert second_factor_verify(user=citizen, token=totp_now(device), request=None, method="totp") == device
    assert SmsDevice.objects.get(user=citizen).failure_count == 0


def test_backup_codes_ten_shown_once_stored_hashed(citizen):
    codes = backup_codes_generate(user=citizen)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = list(BackupCode.objects.filter(device__user=citizen).values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code in codes:
        plain = code.replace("-", "")
        assert all(plain not in value and code not in value for value in stored)
        assert all(len(value) == 64 for value in stored)


def test_backup_code_works_once(citizen):
    codes = backup_codes_generate(user=citizen)
    device = second_factor_verify(user=citizen, token=codes[3].lower(), request=None)
    assert device is not None and device.unused_count == 9
    assert second_factor_verify(user=citizen, token=codes[3], request=None) is None


def test_new_backup_codes_invalidate_the_old(citizen):
    old = backup_codes_generate(user=citizen)
    new = backup_codes_generate(user=citizen)
    assert second_factor_verify(user=citizen, token=old[0], request=None) is None
    assert second_factor_verify(user=citizen, token=new[0], request=None) is not None


def test_devices_listed_sms_created_on_demand_only_with_confirmed_phone(db):
    unconfirmed = UserFactory(phone_confirmed_at=None)
    assert second_factor_devices(user=unconfirmed) == []
    assert not SmsDevice.objects.filter(user=unconfirmed).exists()
    confirmed = UserFactory(phone_confirmed_at="2025-01-01T00:00:00+03:00")
    devices = second_factor_devices(user=confirmed)
    assert [type(d) for d in devices] == [SmsDevice]
