"""Changing the phone or e-mail: password + second factor, the new contact proved, the old one told."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.constants import AuditEventKind, IdentityLevel
from accounts.models import AuditEvent, ContactConfirmation
from accounts.tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Пароль-для-тестов-1"  # accounts.tests.factories
OLD_PHONE = "+79161112233"
NEW_PHONE = "+79169998877"
LOGIN_CODE = re.compile(r"^Код для входа на портал ОМС: (\d{6})\.")
CHANGE_CODE = re.compile(
    r"^Код для смены номера телефона на портале ОМС: (\d{6})\. Никому его не сообщайте — сотрудники портала и "
    r"поликлиники его не спрашивают\.$"
)


@pytest.fixture
def person(db):
    return CitizenFactory(phone=OLD_PHONE, email="anna@example.ru")


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def do(url, data=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **kwargs)

    return do


def code_from(sms_outbox, pattern, phone):
    for message in reversed(sms_outbox):
        match = pattern.match(message["text"])
        if message["to"].replace(" ", "").replace("-", "") == phone and match:
            return match.group(1)
    raise AssertionError(f"no such SMS to {phone}: {sms_outbox}")


def start(client, post, *, channel="phone", new_phone=NEW_PHONE, new_email="", password=PASSWORD):
    return post(
        reverse("accounts:contact-change"),
        {"channel": channel, "new_phone": new_phone, "new_email": new_email, "password": password},
    )


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("accounts:contact-change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_phone_change_full_path(client, post, person, sms_outbox):
    client.force_login(person)
    response = start(client, post)
    assert response.status_code == 302
    assert response.url == reverse("accounts:contact-change-verify")
    # The second factor: an SMS code to the CURRENT phone (accounts.security.second_factor).
    login_code = code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)
    page = client.get(reverse("accounts:contact-change-verify"))
    assert "Мы отправили код на ваш текущий номер +7 *** ***-**-33." in page.content.decode()

    response = post(reverse("accounts:contact-change-verify"), {"token": login_code})
    assert response.status_code == 302
    assert response.url == reverse("accounts:contact-change-code")
    new_code = code_from(sms_outbox, CHANGE_CODE, NEW_PHONE)
    person.refresh_from_db()
    assert person.phone.as_e164 == OLD_PHONE  # nothing changes before the new phone is proved

    response = post(reverse("accounts:contact-change-code"), {"code": new_code})
    assert response.status_code == 200
    assert "Номер телефона изменён" in response.content.decode()
    person.refresh_from_db()
    assert person.phone.as_e164 == NEW_PHONE
    assert person.phone_confirmed_at is not None
    assert person.identity_level == IdentityLevel.CONFIRMED  # a change never lowers the level
    # The OLD phone is told.
    assert sms_outbox[-1] == {
        "to": OLD_PHONE,
        "text": "Номер телефона в вашей учётной записи на портале ОМС изменён на +7 *** ***-**-77. Если это были "
        "не вы, срочно позвоните на горячую линию 8 800 100-70-10.",
    }
    event = AuditEvent.objects.get(kind=AuditEventKind.CONTACT_CHANGED)
    assert event.subject == person
    assert event.details == {"channel": "phone", "old": "+7 *** ***-**-33", "new": "+7 *** ***-**-77"}
    assert NEW_PHONE not in str(event.details) and OLD_PHONE not in str(event.details)


def test_email_change_full_path(client, post, person, sms_outbox):
    client.force_login(person)
    start(client, post, channel="email", new_phone="", new_email="Anna.New@Example.ru")
    login_code = code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)
    response = post(reverse("accounts:contact-change-verify"), {"token": login_code})
    assert response.url == reverse("accounts:contact-change-email-sent")
    page = client.get(response.url)
    assert "Мы отправили письмо со ссылкой на anna.new@example.ru." in page.content.decode()
    assert [m.to for m in mail.outbox] == [["anna.new@example.ru"]]
    assert mail.outbox[0].subject == "Подтвердите новый адрес электронной почты на портале ОМС"
    token = re.search(r"/accounts/register/email/(\S+)/", mail.outbox[0].body).group(1)
    person.refresh_from_db()
    assert person.email == "anna@example.ru"

    with_commit = post(reverse("accounts:email-confirm", args=[token]))
    assert with_commit.status_code == 200
    assert "Адрес электронной почты изменён" in with_commit.content.decode()
    person.refresh_from_db()
    assert person.email == "anna.new@example.ru"
    # The OLD address is told.
    assert mail.outbox[-1].to == ["anna@example.ru"]
    assert mail.outbox[-1].subject == "Адрес электронной почты в вашей учётной записи изменён"
    assert "изменён на a***w@example.ru" in mail.outbox[-1].body
    assert "8 800 100-70-10" in mail.outbox[-1].body
    event = AuditEvent.objects.get(kind=AuditEventKind.CONTACT_CHANGED)
    assert event.details == {"channel": "email", "old": "a***a@example.ru", "new": "a***w@example.ru"}


def test_wrong_password_is_refused_and_nothing_is_sent(client, post, person, sms_outbox):
    client.force_login(person)
    response = start(client, post, password="не-тот-пароль")
    assert response.status_code == 200
    assert response.context["form"].errors == {"password": ["Неверный пароль."]}
    assert sms_outbox == []
    # Skipping step 1 does not work either.
    assert client.get(reverse("accounts:contact-change-verify")).url == reverse("accounts:contact-change")


def test_wrong_second_factor_is_refused(client, post, person, sms_outbox):
    client.force_login(person)
    start(client, post)
    login_code = code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)
    wrong = "000000" if login_code != "000000" else "111111"
    response = post(reverse("accounts:contact-change-verify"), {"token": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors == {"token": ["Неверный код. Проверьте его и попробуйте ещё раз."]}
    assert ContactConfirmation.objects.filter(purpose="contact_change").count() == 0
    assert [m["to"].replace(" ", "").replace("-", "") for m in sms_outbox] == [OLD_PHONE]
    # Without the second factor the code page is out of reach.
    assert client.get(reverse("accounts:contact-change-code")).url == reverse("accounts:contact-change")
    person.refresh_from_db()
    assert person.phone.as_e164 == OLD_PHONE


def test_wrong_and_expired_new_phone_code(client, post, person, sms_outbox):
    client.force_login(person)
    start(client, post)
    post(reverse("accounts:contact-change-verify"), {"token": code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)})
    new_code = code_from(sms_outbox, CHANGE_CODE, NEW_PHONE)
    wrong = "000000" if new_code != "000000" else "111111"
    response = post(reverse("accounts:contact-change-code"), {"code": wrong})
    assert response.context["form"].errors == {"code": ["Неверный код. Осталось попыток: 4."]}
    from django.utils import timezone

    ContactConfirmation.objects.filter(purpose="contact_change").update(expires_at=timezone.now())
    response = post(reverse("accounts:contact-change-code"), {"code": new_code})
    assert response.context["form"].errors == {"code": ["Срок действия кода истёк. Запросите новый код."]}
    person.refresh_from_db()
    assert person.phone.as_e164 == OLD_PHONE


def test_new_phone_of_another_account_gets_no_code_and_its_owner_is_told(client, post, person, sms_outbox):
    other = CitizenFactory(phone=NEW_PHONE)
    client.force_login(person)
    start(client, post)
    post(reverse("accounts:contact-change-verify"), {"token": code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)})
    # The same page as for a free number…
    page = client.get(reverse("accounts:contact-change-code"))
    assert "Мы отправили SMS с кодом на новый номер +7 *** ***-**-77." in page.content.decode()
    # …but no code went out: the number's owner was told instead.
    assert not any(CHANGE_CODE.match(m["text"]) for m in sms_outbox)
    assert sms_outbox[-1]["to"] == NEW_PHONE
    assert sms_outbox[-1]["text"].startswith("Кто-то пытался зарегистрироваться на портале ОМС с вашим номером")
    person.refresh_from_db()
    other.refresh_from_db()
    assert person.phone.as_e164 == OLD_PHONE
    assert other.phone.as_e164 == NEW_PHONE


def test_same_phone_refused(client, post, person):
    client.force_login(person)
    response = start(client, post, new_phone="8 916 111-22-33")
    assert response.context["form"].errors == {"new_phone": ["Это ваш текущий номер."]}


def test_five_wrong_passwords_lock_the_form(client, post, person, sms_outbox):
    client.force_login(person)
    for _ in range(5):
        assert start(client, post, password="не-тот-пароль").context["form"].errors == {
            "password": ["Неверный пароль."]
        }
    # Even the right password is refused now, and nothing is sent.
    response = start(client, post)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "password": ["Пароль введён неверно слишком много раз. Попробуйте через 15 минут или восстановите пароль."]
    }
    assert sms_outbox == []
    assert AuditEvent.objects.filter(kind=AuditEventKind.LOGIN_FAILED, subject=person).count() == 5


def test_pages_opened_with_get_show_no_errors(client, post, person, sms_outbox):
    """A GET shows an empty form: «Обязательное поле» only after a POST."""
    client.force_login(person)
    response = client.get(reverse("accounts:contact-change"))
    assert response.context["form"].is_bound is False
    assert "Исправьте ошибки в форме" not in response.content.decode()
    start(client, post)
    response = client.get(reverse("accounts:contact-change-verify"))
    assert response.status_code == 200
    assert response.context["form"].is_bound is False
    html = response.content.decode()
    assert "Исправьте ошибки в форме" not in html
    assert 'id="id_token-error"' not in html
    assert "Обязательное поле." not in html
    assert 'aria-invalid="true"' not in html
    # An empty POST is what shows the error.
    response = post(reverse("accounts:contact-change-verify"), {"token": ""})
    assert response.context["form"].errors == {"token": ["Обязательное поле."]}
    assert "Исправьте ошибки в форме" in response.content.decode()
    post(reverse("accounts:contact-change-verify"), {"token": code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)})
    response = client.get(reverse("accounts:contact-change-code"))
    assert response.status_code == 200
    assert response.context["form"].is_bound is False
    assert "Исправьте ошибки в форме" not in response.content.decode()


def test_wrong_new_phone_codes_count_down_in_russian(client, post, person, sms_outbox):
    client.force_login(person)
    start(client, post)
    post(reverse("accounts:contact-change-verify"), {"token": code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)})
    new_code = code_from(sms_outbox, CHANGE_CODE, NEW_PHONE)
    wrong = "000000" if new_code != "000000" else "111111"
    errors = [post(reverse("accounts:contact-change-code"), {"code": wrong}).context["form"].errors for _ in range(4)]
    assert errors == [
        {"code": ["Неверный код. Осталось попыток: 4."]},
        {"code": ["Неверный код. Осталось попыток: 3."]},
        {"code": ["Неверный код. Осталось попыток: 2."]},
        {"code": ["Неверный код. Осталась 1 попытка."]},
    ]
    person.refresh_from_db()
    assert person.phone.as_e164 == OLD_PHONE


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("contact-change", "/accounts/register/contact/"),
        ("contact-change-verify", "/accounts/register/contact/verify/"),
        ("contact-change-code", "/accounts/register/contact/code/"),
        ("contact-change-email-sent", "/accounts/register/contact/email-sent/"),
    ],
)
def test_the_contact_change_pages_live_in_accounts_contact_at_their_old_addresses(name, path):
    from django.urls import resolve

    assert reverse(f"accounts:{name}") == path
    assert resolve(path).func.__module__ == "accounts.contact.views"


@pytest.mark.parametrize("taken", ["before_the_click", "between_the_check_and_the_save"])
def test_an_email_taken_after_the_link_was_sent_is_refused_and_nothing_changes(
    taken, person, monkeypatch, django_capture_on_commit_callbacks
):
    """contact_replace: the taken check, and the unique index when another account wins the race."""
    from django.core.exceptions import ValidationError

    from accounts.contact import services as contact_services
    from notifications.models import OutboundMessage

    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_change_start(user=person, channel="email", target="new@example.ru", request=None)
    token = re.search(r"/accounts/register/email/(\S+)/", mail.outbox[-1].body).group(1)
    CitizenFactory(email="new@example.ru")
    if taken == "between_the_check_and_the_save":
        monkeypatch.setattr(contact_services, "contact_taken_check", lambda **kwargs: None)

    with pytest.raises(ValidationError) as refused:
        contact_services.email_link_confirm(token=token, request=None)

    assert refused.value.code == "email_taken"
    person.refresh_from_db()
    assert (person.email, ContactConfirmation.objects.get(user=person).confirmed_at) == ("anna@example.ru", None)
    assert not AuditEvent.objects.filter(kind=AuditEventKind.CONTACT_CHANGED).exists()
    assert not OutboundMessage.objects.filter(event="contact_changed").exists()


@pytest.mark.parametrize("taken", ["before_the_code_is_typed", "between_the_check_and_the_save"])
def test_a_phone_taken_after_the_code_was_sent_is_refused_next_to_the_field_and_nothing_changes(
    taken, client, post, person, sms_outbox, monkeypatch
):
    """_phone_replace uses contact_replace: the unique index's answer to a race is "phone_taken", not a 500."""
    from accounts.contact import services as contact_services
    from notifications.models import OutboundMessage

    client.force_login(person)
    start(client, post)
    post(reverse("accounts:contact-change-verify"), {"token": code_from(sms_outbox, LOGIN_CODE, OLD_PHONE)})
    new_code = code_from(sms_outbox, CHANGE_CODE, NEW_PHONE)
    CitizenFactory(phone=NEW_PHONE)
    if taken == "between_the_check_and_the_save":
        monkeypatch.setattr(contact_services, "contact_taken_check", lambda **kwargs: None)

    response = post(reverse("accounts:contact-change-code"), {"code": new_code})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Этот номер уже указан в другой учётной записи."]}
    person.refresh_from_db()
    confirmation = ContactConfirmation.objects.get(user=person, purpose="contact_change")
    assert (person.phone.as_e164, confirmation.confirmed_at, confirmation.failed_attempts) == (OLD_PHONE, None, 0)
    assert confirmation.code_hash != ""
    assert not AuditEvent.objects.filter(kind=AuditEventKind.CONTACT_CHANGED).exists()
    assert not OutboundMessage.objects.filter(event="contact_changed").exists()
