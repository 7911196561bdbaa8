"""Registration: form → SMS code → e-mail link; code rules; no account enumeration."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts.constants import AuditEventKind, IdentityLevel
from accounts.contact.codes import code_check
from accounts.models import AuditEvent, ContactConfirmation, User
from accounts.tests.factories import CitizenFactory
from notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"
EMAIL = "maria.kuznetsova@example.ru"
PASSWORD = "Зелёный-чайник-42"
CODE_TEXT = re.compile(
    r"^Код для регистрации на портале ОМС: (\d{6})\. Никому его не сообщайте — сотрудники портала и "
    r"поликлиники его не спрашивают\.$"
)


def form_data(**overrides) -> dict[str, str]:
    data = {
        "last_name": "Кузнецова",
        "first_name": "Мария",
        "patronymic": "Олеговна",
        "phone": "8 (916) 123-45-67",
        "email": EMAIL,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST and run what the view scheduled after commit (the message deliveries)."""

    def do(url, data=None, client=client, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **kwargs)

    return do


def sent_code(sms_outbox, phone=PHONE) -> str:
    texts = [m["text"] for m in sms_outbox if m["to"] == phone]
    match = CODE_TEXT.match(texts[-1])
    assert match, texts[-1]
    return match.group(1)


def without_csrf(body: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode())


def test_register_page_has_the_fields(client):
    response = client.get(reverse("accounts:register"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == [
        "last_name",
        "first_name",
        "patronymic",
        "phone",
        "email",
        "password1",
        "password2",
        "consent",
    ]
    assert form.fields["patronymic"].required is False
    assert "152-ФЗ" in response.content.decode()


def test_full_registration_path(client, post, sms_outbox):
    response = post(reverse("accounts:register"), form_data())
    assert response.status_code == 302
    assert response.url == reverse("accounts:register-code")
    # Nothing is written before the phone is proved.
    assert User.objects.count() == 0
    assert len(sms_outbox) == 1
    assert sms_outbox[0]["to"] == PHONE
    code = sent_code(sms_outbox)
    page = client.get(reverse("accounts:register-code"))
    assert "Мы отправили SMS с кодом на номер +7 *** ***-**-67." in page.content.decode()

    response = post(reverse("accounts:register-code"), {"code": code})
    assert response.status_code == 302
    assert response.url == reverse("accounts:register-phone-confirmed")
    user = User.objects.get()
    assert user.phone.as_e164 == PHONE
    assert user.email == EMAIL
    assert (user.last_name, user.first_name, user.patronymic) == ("Кузнецова", "Мария", "Олеговна")
    assert user.check_password(PASSWORD)
    assert user.identity_level == IdentityLevel.SIMPLIFIED
    assert user.phone_confirmed_at is not None
    assert user.email_confirmed_at is None
    event = AuditEvent.objects.get(kind=AuditEventKind.REGISTERED)
    assert event.subject == user
    assert event.details == {"phone_masked": "+7 *** ***-**-67", "email_masked": "m***a@example.ru"}
    # The SMS with the code is erased once sent: the database keeps no codes.
    assert OutboundMessage.objects.get(event="registration_code").body == "[стёрто после отправки]"

    page = client.get(reverse("accounts:register-phone-confirmed"))
    assert f"Мы отправили письмо на {EMAIL}" in page.content.decode()
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == [EMAIL]
    assert letter.subject == "Подтвердите адрес электронной почты для регистрации на портале ОМС"
    assert "Никому её не пересылайте — сотрудники портала и поликлиники её не спрашивают." in letter.body
    link = re.search(r"http://\S+/accounts/register/email/(\S+)/", letter.body)
    path = reverse("accounts:email-confirm", args=[link.group(1)])

    # Opening the link (a mail scanner would) changes nothing; the button does.
    page = client.get(path)
    assert page.status_code == 200
    user.refresh_from_db()
    assert user.email_confirmed_at is None
    page = client.post(path)
    assert page.status_code == 200
    assert "Телефон и электронная почта подтверждены." in page.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert user.identity_level == IdentityLevel.STANDARD
    assert ContactConfirmation.objects.filter(user=user, confirmed_at__isnull=False).count() == 2

    # Single use.
    again = client.post(path)
    assert again.status_code == 400
    assert "Ссылка недействительна: она устарела или уже использована." in again.content.decode()


def test_email_link_expires_after_48_hours(client, post, sms_outbox, settings):
    post(reverse("accounts:register"), form_data())
    post(reverse("accounts:register-code"), {"code": sent_code(sms_outbox)})
    token = re.search(r"/accounts/register/email/(\S+)/", mail.outbox[0].body).group(1)
    ContactConfirmation.objects.filter(channel="email").update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("accounts:email-confirm", args=[token]))
    assert response.status_code == 400
    assert User.objects.get().email_confirmed_at is None


def test_wrong_code_says_how_many_tries_are_left(client, post, sms_outbox):
    post(reverse("accounts:register"), form_data())
    code = sent_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    response = post(reverse("accounts:register-code"), {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Неверный код. Осталось попыток: 4."]}
    response = post(reverse("accounts:register-code"), {"code": "12a"})
    assert response.context["form"].errors == {"code": ["Код — это 6 цифр из SMS."]}
    assert User.objects.count() == 0


def test_sixth_try_is_refused_even_with_the_right_code(client, post, sms_outbox):
    post(reverse("accounts:register"), form_data())
    code = sent_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    errors = []
    for _ in range(5):
        errors.append(post(reverse("accounts:register-code"), {"code": wrong}).context["form"].errors["code"])
    assert errors == [
        ["Неверный код. Осталось попыток: 4."],
        ["Неверный код. Осталось попыток: 3."],
        ["Неверный код. Осталось попыток: 2."],
        ["Неверный код. Осталась 1 попытка."],
        ["Неверный код. Попытки закончились — запросите новый код."],
    ]
    response = post(reverse("accounts:register-code"), {"code": code})
    assert response.context["form"].errors == {
        "code": ["Код больше не действует: было 5 неверных попыток. Запросите новый код."]
    }
    assert User.objects.count() == 0


def test_expired_code_is_refused(client, post, sms_outbox):
    post(reverse("accounts:register"), form_data())
    code = sent_code(sms_outbox)
    session = client.session
    pending = session["registration_pending"]
    pending["sent_at"] -= 10 * 60 + 1  # 10:01 ago
    session["registration_pending"] = pending
    session.save()
    response = post(reverse("accounts:register-code"), {"code": code})
    assert response.context["form"].errors == {"code": ["Срок действия кода истёк. Запросите новый код."]}
    assert User.objects.count() == 0


def test_resend_within_60_seconds_is_refused_and_after_it_sends_a_new_code(client, post, sms_outbox):
    post(reverse("accounts:register"), form_data())
    first = sent_code(sms_outbox)
    response = post(reverse("accounts:register-code-resend"), follow=True)
    assert len(sms_outbox) == 1
    notice = response.context["notice"]
    assert re.fullmatch(r"Новый код можно запросить через (\d+) секунд[уы]?\.", notice), notice

    session = client.session
    pending = session["registration_pending"]
    pending["sent_at"] -= 61
    session["registration_pending"] = pending
    session.save()
    response = post(reverse("accounts:register-code-resend"), follow=True)
    assert response.context["notice"] == "Мы отправили новый код."
    assert len(sms_outbox) == 2
    second = sent_code(sms_outbox)
    if first != second:
        # The old code no longer works.
        assert post(reverse("accounts:register-code"), {"code": first}).status_code == 200
    assert post(reverse("accounts:register-code"), {"code": second}).status_code == 302
    assert User.objects.count() == 1


def test_resend_keeps_the_wrong_tries(client, post, sms_outbox):
    post(reverse("accounts:register"), form_data())
    code = sent_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    post(reverse("accounts:register-code"), {"code": wrong})
    post(reverse("accounts:register-code"), {"code": wrong})
    session = client.session
    pending = session["registration_pending"]
    pending["sent_at"] -= 61
    session["registration_pending"] = pending
    session.save()
    post(reverse("accounts:register-code-resend"))
    new_code = sent_code(sms_outbox)
    wrong = "000000" if new_code != "000000" else "111111"
    response = post(reverse("accounts:register-code"), {"code": wrong})
    assert response.context["form"].errors == {"code": ["Неверный код. Осталось попыток: 2."]}


@pytest.mark.parametrize("taken", ["phone", "email", "both"])
def test_same_answer_for_registered_and_new_contacts(post, sms_outbox, taken):
    """Same status, same redirect, same code page (CSRF token aside), same error for a wrong code."""
    from django.test import Client

    owner = CitizenFactory(
        phone=PHONE if taken in ("phone", "both") else "+79160000001",
        email=EMAIL if taken in ("email", "both") else "owner@example.ru",
    )
    # Two visitors: one types new contacts, one the registered ones. The new phone ends in the same
    # two digits so that the masked number on the page («+7 *** ***-**-67») is the same.
    new_data = form_data(phone="+79165554467", email="new.person@example.ru")
    taken_data = form_data(
        phone=PHONE if taken in ("phone", "both") else "+79163334467",
        email=EMAIL if taken in ("email", "both") else "new.person2@example.ru",
    )
    answers = []
    for data in (new_data, taken_data):
        visitor = Client()
        first = post(reverse("accounts:register"), data, client=visitor)
        code_page = visitor.get(reverse("accounts:register-code"))
        wrong = visitor.post(reverse("accounts:register-code"), {"code": "000000"})
        answers.append((first, code_page, wrong))
    (new_first, new_page, new_wrong), (first, page, wrong) = answers
    assert first.status_code == new_first.status_code == 302
    assert first.url == new_first.url == reverse("accounts:register-code")
    assert page.status_code == new_page.status_code == 200
    assert without_csrf(page.content) == without_csrf(new_page.content)
    assert wrong.status_code == new_wrong.status_code == 200
    assert without_csrf(wrong.content) == without_csrf(new_wrong.content)
    assert list(User.objects.all()) == [owner]


@pytest.mark.parametrize("taken", ["phone", "email"])
def test_owner_of_a_registered_contact_is_told(post, sms_outbox, taken):
    owner = CitizenFactory(phone=PHONE, email=EMAIL)
    data = form_data(
        phone=PHONE if taken == "phone" else "+79165554467",
        email=EMAIL if taken == "email" else "new.person@example.ru",
    )
    post(reverse("accounts:register"), data)
    if taken == "phone":
        # No code to the registered phone: its owner is told instead.
        assert sms_outbox == [
            {
                "to": PHONE,
                "text": "Кто-то пытался зарегистрироваться на портале ОМС с вашим номером телефона. Если это были "
                "вы — войдите или восстановите пароль. Если нет — ничего не делайте; вопросы: 8 800 100-70-10.",
            }
        ]
        assert mail.outbox == []
    else:
        # The new phone's holder gets a code as anyone would; the address's owner gets the notice.
        assert [m["to"] for m in sms_outbox] == ["+79165554467"]
        assert CODE_TEXT.match(sms_outbox[0]["text"])
        assert [m.to for m in mail.outbox] == [[owner.email]]
        assert mail.outbox[0].subject == "Попытка регистрации с вашими данными на портале ОМС"
        assert "Новая учётная запись не создана, ваша учётная запись не изменилась." in mail.outbox[0].body
    assert list(User.objects.all()) == [owner]


def test_registered_phone_never_creates_an_account_even_with_any_code(client, post, sms_outbox):
    owner = CitizenFactory(phone=PHONE)
    post(reverse("accounts:register"), form_data())
    for code in ("123456", "000000", "999999"):
        response = post(reverse("accounts:register-code"), {"code": code})
        assert response.status_code == 200
    assert list(User.objects.all()) == [owner]


def test_registered_email_same_next_pages_and_no_account(client, post, sms_outbox):
    owner = CitizenFactory(email=EMAIL)
    post(reverse("accounts:register"), form_data())
    # The phone is new: its holder gets the code, as anyone would.
    code = sent_code(sms_outbox)
    response = post(reverse("accounts:register-code"), {"code": code})
    assert response.status_code == 302
    assert response.url == reverse("accounts:register-phone-confirmed")
    page = client.get(reverse("accounts:register-phone-confirmed"))
    assert f"Мы отправили письмо на {EMAIL}" in page.content.decode()
    assert list(User.objects.all()) == [owner]
    assert AuditEvent.objects.filter(kind=AuditEventKind.REGISTERED).count() == 0
    # Only the owner's notice went to the address; no link.
    assert len(mail.outbox) == 1
    assert "/accounts/register/email/" not in mail.outbox[0].body


def test_phone_confirmed_pages_are_identical_for_new_and_registered_email(post, sms_outbox):
    from django.test import Client

    CitizenFactory(email=EMAIL)
    pages = []
    for phone, email in (("+79161234567", EMAIL), ("+79161234568", "x" * (len(EMAIL) - 11) + "@example.ru")):
        visitor = Client()
        post(reverse("accounts:register"), form_data(phone=phone, email=email), client=visitor)
        code = sent_code(sms_outbox, phone=phone)
        post(reverse("accounts:register-code"), {"code": code}, client=visitor)
        body = without_csrf(visitor.get(reverse("accounts:register-phone-confirmed")).content)
        pages.append(body.replace(email, "EMAIL"))
    assert pages[0] == pages[1]


def test_password_validator_messages_in_russian_next_to_the_field(client):
    response = client.post(reverse("accounts:register"), form_data(password1="12345", password2="12345"))
    assert response.status_code == 200
    errors = response.context["form"].errors["password1"]
    assert errors == [
        "Введённый пароль слишком короткий. Он должен состоять из как минимум 8 символов.",
        "Введённый пароль слишком широко распространён.",
        "Введённый пароль состоит только из цифр.",
    ]
    html = response.content.decode()
    # Next to the field: the input names the element holding the messages in aria-describedby.
    field_input = re.search(r'<input[^>]*id="id_password1"[^>]*>', html).group(0)
    described_ids = re.search(r'aria-describedby="([^"]+)"', field_input).group(1).split()
    blocks = [re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|div)>', html, re.S) for element_id in described_ids]
    described_text = " ".join(block.group(1) for block in blocks if block)
    assert "Введённый пароль слишком короткий." in described_text
    assert 'aria-invalid="true"' in field_input


def test_password_similar_to_the_email_and_mismatch(client):
    response = client.post(
        reverse("accounts:register"),
        form_data(password1="maria.kuznetsova", password2="другой-пароль-1"),
    )
    errors = response.context["form"].errors
    assert errors["password1"] == ["Введённый пароль слишком похож на e-mail."]
    assert errors["password2"] == ["Пароли не совпадают."]


def test_failed_form_keeps_what_was_typed_except_passwords(client, sms_outbox):
    response = client.post(reverse("accounts:register"), form_data(consent=None))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "consent": ["Без согласия на обработку персональных данных зарегистрироваться нельзя."]
    }
    html = response.content.decode()
    assert 'value="Кузнецова"' in html
    assert 'value="Мария"' in html
    assert 'value="Олеговна"' in html
    assert 'value="8 (916) 123-45-67"' in html
    assert f'value="{EMAIL}"' in html
    assert PASSWORD not in html
    assert sms_outbox == []


def test_landline_and_bad_phone_refused(client):
    response = client.post(reverse("accounts:register"), form_data(phone="+7 495 123-45-67"))
    assert response.context["form"].errors == {
        "phone": ["Введите номер мобильного телефона, например +7 912 345-67-89."]
    }
    response = client.post(reverse("accounts:register"), form_data(phone="12"))
    assert response.context["form"].errors == {
        "phone": ["Введите номер мобильного телефона, например +7 912 345-67-89."]
    }


def test_simplified_account_until_both_confirmed(client, post, sms_outbox):
    post(reverse("accounts:register"), form_data())
    post(reverse("accounts:register-code"), {"code": sent_code(sms_outbox)})
    user = User.objects.get()
    assert user.identity_level == IdentityLevel.SIMPLIFIED
    assert user.is_identity_confirmed is False


def test_code_page_without_registration_redirects(client):
    response = client.get(reverse("accounts:register-code"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:register")


CONSENT_STATEMENT = (
    "Даю согласие на обработку моих персональных данных (ФИО, телефон, e-mail) для работы на портале ОМС в "
    "соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных»."
)


def error_summary_lines(html: str) -> list[str]:
    """The lines of the error summary at the top of the page, tags stripped ([] when there is none)."""
    summary = re.search(r'<div class="error-summary".*?</ul>', html, re.S)
    if summary is None:
        return []
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)]


def test_pages_opened_with_get_show_no_errors(client, post, sms_outbox):
    response = client.get(reverse("accounts:register"))
    assert response.context["form"].is_bound is False
    assert error_summary_lines(response.content.decode()) == []
    assert "error-message" not in response.content.decode()
    post(reverse("accounts:register"), form_data())
    response = client.get(reverse("accounts:register-code"))
    assert response.context["form"].is_bound is False
    assert error_summary_lines(response.content.decode()) == []
    assert "Обязательное поле." not in response.content.decode()


def test_consent_error_in_the_summary_is_short_and_the_checkbox_keeps_the_statement(client):
    response = client.post(reverse("accounts:register"), form_data(consent=None))
    html = response.content.decode()
    assert error_summary_lines(html) == [
        "Согласие на обработку персональных данных: "
        "Без согласия на обработку персональных данных зарегистрироваться нельзя."
    ]
    assert "152-ФЗ" not in re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    # The checkbox's own label is the whole statement the person agrees to.
    label = re.search(r'<label for="id_consent">(.*?)</label>', html, re.S).group(1)
    assert re.search(r'<input type="checkbox" name="consent"[^>]*id="id_consent"', label)
    assert " ".join(re.sub(r"<[^>]+>", " ", label).split()) == f"{CONSENT_STATEMENT} *"
    # The error is next to the checkbox and the checkbox points at it.
    checkbox = re.search(r'<input type="checkbox"[^>]*>', html).group(0)
    assert 'aria-describedby="id_consent-error"' in checkbox
    assert 'aria-invalid="true"' in checkbox
    assert (
        '<div class="error-message" id="id_consent-error"><p>'
        "Без согласия на обработку персональных данных зарегистрироваться нельзя.</p></div>"
    ) in html


@pytest.fixture
def english(client):
    """The language switch set to English; the thread goes back to Russian after the test.

    LocaleMiddleware leaves the request's language active in the thread, so without the reset the
    tests after this one would render their SMS and pages in English.
    """
    client.post("/i18n/setlang/", {"language": "en"})
    yield
    translation.activate("ru")


def test_form_errors_in_english(client, english):
    response = client.post(
        reverse("accounts:register"),
        form_data(phone="+7 495 123-45-67", password2="другой-пароль-1", consent=None),
    )
    assert response.context["form"].errors == {
        "phone": ["Enter a mobile phone number, for example +7 912 345-67-89."],
        "password2": ["The passwords do not match."],
        "consent": ["You cannot register without consenting to the processing of personal data."],
    }
    assert error_summary_lines(response.content.decode()) == [
        "Mobile phone: Enter a mobile phone number, for example +7 912 345-67-89.",
        "Repeat the password: The passwords do not match.",
        "Consent to the processing of personal data: "
        "You cannot register without consenting to the processing of personal data.",
    ]
    response = client.post(reverse("accounts:register"), form_data(phone="12"))
    assert response.context["form"].errors == {"phone": ["Enter a mobile phone number, for example +7 912 345-67-89."]}


def test_wrong_code_tries_left_in_english(client, english, post, sms_outbox):
    post(reverse("accounts:register"), form_data())
    code = re.search(r"registration code: (\d{6})\.", sms_outbox[-1]["text"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    errors = [post(reverse("accounts:register-code"), {"code": wrong}).context["form"].errors["code"] for _ in range(6)]
    assert errors == [
        ["Wrong code. Attempts left: 4."],
        ["Wrong code. Attempts left: 3."],
        ["Wrong code. Attempts left: 2."],
        ["Wrong code. 1 attempt left."],
        ["Wrong code. No attempts left: request a new code."],
        ["The code is no longer valid: there were 5 wrong attempts. Request a new code."],
    ]


def test_code_messages_use_russian_plural_forms(settings):
    """Russian forms from locale/ru: «Осталась 1 (21) попытка», «Осталось попыток: N», «было 2 неверные попытки»."""
    settings.SMS_CODE_MAX_FAILURES = 30
    later = timezone.now() + timedelta(minutes=5)
    messages = {}
    for failed in (29, 28, 26, 25, 9, 8):
        with translation.override("ru"), pytest.raises(ValidationError) as caught:
            code_check(failed_attempts=failed, expires_at=later, matches=False, on_failure=lambda f=failed: f + 1)
        messages[30 - failed - 1] = caught.value.messages[0]
    assert messages == {
        0: "Неверный код. Попытки закончились — запросите новый код.",
        1: "Неверный код. Осталась 1 попытка.",
        3: "Неверный код. Осталось попыток: 3.",
        4: "Неверный код. Осталось попыток: 4.",
        20: "Неверный код. Осталось попыток: 20.",
        21: "Неверный код. Осталась 21 попытка.",
    }
    settings.SMS_CODE_MAX_FAILURES = 2
    with translation.override("ru"), pytest.raises(ValidationError) as caught:
        code_check(failed_attempts=2, expires_at=later, matches=True, on_failure=lambda: 3)
    assert caught.value.messages == ["Код больше не действует: было 2 неверные попытки. Запросите новый код."]
