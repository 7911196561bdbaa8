"""SMS sending limits: per phone, per IP, per day; registration over a limit sends nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.contact.messages import sms_limit_message
from accounts.models import User
from accounts.security.sms_limits import SmsRateLimited, sms_send_allowed
from accounts.tests.factories import CitizenFactory
from accounts.tests.test_registration import form_data

pytestmark = pytest.mark.django_db


def test_per_phone_limit(settings):
    settings.SMS_LIMIT_PER_PHONE_PER_HOUR = 3
    for index in range(3):
        sms_send_allowed(phone="+79161234567", ip_address=f"10.0.0.{index}")
    with pytest.raises(SmsRateLimited) as limited:
        sms_send_allowed(phone="+79161234567", ip_address="10.0.0.9")
    assert limited.value == SmsRateLimited("phone", 3600)
    # Another phone is not affected.
    sms_send_allowed(phone="+79161234568", ip_address="10.0.0.9")


def test_per_ip_limit(settings):
    settings.SMS_LIMIT_PER_IP_PER_HOUR = 2
    sms_send_allowed(phone="+79160000001", ip_address="10.0.0.1")
    sms_send_allowed(phone="+79160000002", ip_address="10.0.0.1")
    with pytest.raises(SmsRateLimited) as limited:
        sms_send_allowed(phone="+79160000003", ip_address="10.0.0.1")
    assert limited.value == SmsRateLimited("ip", 3600)
    sms_send_allowed(phone="+79160000004", ip_address="10.0.0.2")


def test_per_day_limit(settings):
    settings.SMS_LIMIT_PER_DAY = 2
    sms_send_allowed(phone="+79160000001", ip_address="10.0.0.1")
    sms_send_allowed(phone="+79160000002", ip_address="10.0.0.2")
    with pytest.raises(SmsRateLimited) as limited:
        sms_send_allowed(phone="+79160000003", ip_address="10.0.0.3")
    assert limited.value == SmsRateLimited("global", 24 * 3600)


def test_limits_live_in_redis(redis_url, settings):
    """The counters are shared by every web process: they are in the Redis cache, not in memory."""
    import redis

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    sms_send_allowed(phone="+79160000001", ip_address="10.0.0.1")
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    keys = {key.decode() for key in client.keys("*sms:*")}
    assert any(key.endswith("sms:phone:+79160000001") for key in keys)
    assert any(key.endswith("sms:ip:10.0.0.1") for key in keys)


def test_registration_over_the_phone_limit_shows_why_and_sends_nothing(
    client, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.SMS_LIMIT_PER_PHONE_PER_HOUR = 1
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("accounts:register"), form_data()).status_code == 302
    assert len(sms_outbox) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("accounts:register"), form_data())
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Слишком много SMS за короткое время. Новое сообщение можно будет запросить через 60 минут."
    ]
    assert "Слишком много SMS за короткое время." in response.content.decode()
    assert callbacks == []
    assert len(sms_outbox) == 1
    assert User.objects.count() == 0


def test_registration_over_the_day_limit(client, settings, sms_outbox, django_capture_on_commit_callbacks):
    settings.SMS_LIMIT_PER_DAY = 1
    sms_send_allowed(phone="+79160000001", ip_address="10.9.9.9")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register"), form_data())
    assert response.context["form"].non_field_errors() == [
        "Сейчас портал не может отправить SMS: исчерпан дневной лимит сообщений. Попробуйте завтра или "
        "позвоните на горячую линию 8 800 100-70-10."
    ]
    assert sms_outbox == []


def test_resend_over_the_limit_says_why(client, settings, sms_outbox, django_capture_on_commit_callbacks):
    settings.SMS_LIMIT_PER_PHONE_PER_HOUR = 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), form_data())
    session = client.session
    pending = session["registration_pending"]
    pending["sent_at"] -= 61
    session["registration_pending"] = pending
    session.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register-code-resend"), follow=True)
    assert response.context["notice"] == (
        "Слишком много SMS за короткое время. Новое сообщение можно будет запросить через 60 минут."
    )
    assert len(sms_outbox) == 1


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (30, "через 1 минуту"),
        (60, "через 1 минуту"),
        (61, "через 2 минуты"),
        (4 * 60, "через 4 минуты"),
        (5 * 60, "через 5 минут"),
        (21 * 60, "через 21 минуту"),
        (3600, "через 60 минут"),
    ],
)
def test_time_left_is_the_limits_own_in_whole_minutes(seconds, expected):
    with translation.override("ru"):
        message = sms_limit_message(SmsRateLimited("phone", seconds))
    assert message == (f"Слишком много SMS за короткое время. Новое сообщение можно будет запросить {expected}.")


def test_contact_change_over_the_phone_limit_says_why(client, settings, sms_outbox, django_capture_on_commit_callbacks):
    person = CitizenFactory(phone="+79161112233", email="anna@example.ru")
    client.force_login(person)
    settings.SMS_LIMIT_PER_PHONE_PER_HOUR = 1
    sms_send_allowed(phone="+79169998877", ip_address=None)  # the new number's hour is used up
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:contact-change"),
            {"channel": "phone", "new_phone": "+79169998877", "new_email": "", "password": "Пароль-для-тестов-1"},
        )
    token = sms_outbox[-1]["text"].split(": ")[1][:6]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:contact-change-verify"), {"token": token})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Слишком много SMS за короткое время. Новое сообщение можно будет запросить через 60 минут."
    ]
    assert [m["to"] for m in sms_outbox] == ["+79161112233"]
