"""Every one-time code leaves the same way (accounts.services.sms_code_send): by SMS only, sensitive.

Registration, the change of phone and the login's second factor each send codes, first and again;
none of them may put a code into the inbox or an e-mail, or keep its text once it is sent.
"""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.test import RequestFactory

from accounts.contact.services import contact_change_code_resend, contact_change_start
from accounts.registration.services import registration_code_resend, registration_start
from accounts.security.second_factor import second_factor_send_sms
from accounts.tests import login_support
from notifications.models import Notification, OutboundMessage

pytestmark = pytest.mark.django_db

clock = login_support.clock  # the fixture: moves timezone.now()

NEW_PHONE = "+79169998877"
ERASED = "[стёрто после отправки]"


def _digits(phone: str) -> str:
    return phone.replace(" ", "").replace("-", "")


def _registration_sends(citizen):
    request = RequestFactory().post("/register/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    registration_start(
        request=request,
        last_name="Кузнецова",
        first_name="Мария",
        patronymic="Олеговна",
        phone=NEW_PHONE,
        email="maria@example.ru",
        password="Пароль-для-тестов-1",
    )
    return "registration_code", NEW_PHONE, lambda: registration_code_resend(request=request)


def _contact_change_sends(citizen):
    confirmation = contact_change_start(user=citizen, channel="phone", target=NEW_PHONE, request=None)
    return (
        "contact_change_code",
        NEW_PHONE,
        lambda: contact_change_code_resend(user=citizen, confirmation_id=confirmation.pk, request=None),
    )


def _login_sends(citizen):
    second_factor_send_sms(user=citizen, request=None)
    return "login_code", citizen.phone.as_e164, lambda: second_factor_send_sms(user=citizen, request=None)


@pytest.mark.parametrize(
    "first_send", [_registration_sends, _contact_change_sends, _login_sends], ids=lambda f: f.__name__
)
def test_every_code_goes_by_sms_only_and_its_text_is_erased_once_sent(
    first_send, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event, phone, send_again = first_send(citizen)
    clock.advance(seconds=settings.SMS_CODE_RESEND_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        send_again()

    rows = OutboundMessage.objects.filter(event=event).order_by("pk")
    assert [(row.channel, _digits(row.recipient), row.is_sensitive, row.body) for row in rows] == [
        ("sms", phone, True, ERASED),
        ("sms", phone, True, ERASED),
    ]
    assert not Notification.objects.filter(event=event).exists()
    assert len([message for message in sms_outbox if _digits(message["to"]) == phone]) == 2
