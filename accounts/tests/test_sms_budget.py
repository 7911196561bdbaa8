"""Issue 6 point 1: registrations with a stranger's number can't stop the owner from logging in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.security.sms_limits import SmsPurpose, SmsRateLimited, sms_send_allowed
from accounts.tests.factories import CitizenFactory
from accounts.tests.login_support import PASSWORD, last_sms_code, password_step
from accounts.tests.test_registration import form_data

pytestmark = pytest.mark.django_db

VICTIM_PHONE = "+79161234567"


def _register_with(client, phone: str, ip: str, email: str = "stranger@example.ru"):
    return client.post(reverse("accounts:register"), form_data(phone=phone, email=email), REMOTE_ADDR=ip)


def test_registrations_with_the_victims_phone_do_not_use_up_their_login_codes(
    client, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.SMS_LIMIT_PER_PHONE_PER_HOUR = 10
    victim = CitizenFactory(phone=VICTIM_PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(12):
            client.cookies.clear()
            _register_with(client, VICTIM_PHONE, f"198.51.100.{index}", email=f"s{index}@example.ru")
    # The owner was told once that day, not twelve times.
    assert [item["to"] for item in sms_outbox] == [VICTIM_PHONE]
    assert "пытался зарегистрироваться" in sms_outbox[0]["text"]
    client.cookies.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = password_step(client, str(victim.phone), PASSWORD)
    assert response.status_code == 302
    assert len(sms_outbox) == 2
    assert len(last_sms_code(sms_outbox)) == 6
    assert sms_outbox[-1]["to"] == VICTIM_PHONE


def test_login_budget_is_separate_from_the_contact_budget(settings):
    settings.SMS_LIMIT_PER_PHONE_PER_HOUR = 1
    settings.SMS_LOGIN_LIMIT_PER_PHONE_PER_HOUR = 1
    sms_send_allowed(phone=VICTIM_PHONE, ip_address=None)
    with pytest.raises(SmsRateLimited):
        sms_send_allowed(phone=VICTIM_PHONE, ip_address=None)
    sms_send_allowed(phone=VICTIM_PHONE, ip_address=None, purpose=SmsPurpose.LOGIN)
    with pytest.raises(SmsRateLimited) as limited:
        sms_send_allowed(phone=VICTIM_PHONE, ip_address=None, purpose=SmsPurpose.LOGIN)
    assert limited.value == SmsRateLimited("phone", 3600)


def test_a_flood_from_many_numbers_does_not_exhaust_the_day_for_logins(settings, caplog):
    settings.SMS_LIMIT_PER_DAY = 1000
    settings.SMS_LIMIT_PER_PREFIX_PER_HOUR = 3
    for last in range(3):
        sms_send_allowed(phone=f"+7916555000{last}", ip_address=f"192.0.2.{last}")
    with caplog.at_level("ERROR", logger="accounts.security.sms_limits"), pytest.raises(SmsRateLimited) as limited:
        sms_send_allowed(phone="+79165550009", ip_address="192.0.2.9")
    assert limited.value == SmsRateLimited("prefix", 3600)
    assert caplog.messages == ["SMS limit reached: prefix (sms:prefix:+7916555); sends refused for 3600 s"]
    # The alert is raised once per window, not once per refused send.
    with caplog.at_level("ERROR", logger="accounts.security.sms_limits"), pytest.raises(SmsRateLimited):
        sms_send_allowed(phone="+79165550008", ip_address="192.0.2.8")
    assert len(caplog.messages) == 1
    # Another range, and login codes, go on.
    sms_send_allowed(phone="+79031112233", ip_address="192.0.2.10")
    settings.SMS_LIMIT_PER_DAY = 1
    with pytest.raises(SmsRateLimited) as day:
        sms_send_allowed(phone="+79261112233", ip_address="192.0.2.11")
    assert day.value.scope == "global"
    sms_send_allowed(phone="+79261112233", ip_address="192.0.2.11", purpose=SmsPurpose.LOGIN)


def test_only_the_served_regions_get_sms(settings, client, sms_outbox, django_capture_on_commit_callbacks):
    # +7 7xx is Kazakhstan: the same country code, another country.
    with pytest.raises(SmsRateLimited) as limited:
        sms_send_allowed(phone="+77011234567", ip_address=None)
    assert limited.value.scope == "region"
    with django_capture_on_commit_callbacks(execute=True):
        response = _register_with(client, "+7 701 123-45-67", "198.51.100.1")
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "На номера этой страны портал не отправляет SMS. Укажите мобильный номер российского оператора."
    ]
    assert sms_outbox == []
    settings.SMS_ALLOWED_PHONE_REGIONS = ["RU", "KZ"]
    sms_send_allowed(phone="+77011234567", ip_address=None)
