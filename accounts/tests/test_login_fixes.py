"""Fixes from the user test of login, the second factor, «Безопасность», reset and the lock-out page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.login.password_reset import password_reset_url
from accounts.login.services import user_agent_describe
from accounts.security.sms_limits import SmsPurpose, SmsRateLimited, sms_send_allowed
from accounts.tests import login_support
from accounts.tests.login_support import PASSWORD, code_step, full_login, last_sms_code, password_step
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db
clock = login_support.clock  # the fixture: moves timezone.now()

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def app_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


# --- 1. a new login right after a completed one gets a code at once --------------------------------


def test_login_again_within_60_s_of_a_completed_login_sends_a_new_code(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    client.post(reverse("accounts:logout"))
    codes_before = [item for item in sms_outbox if "Код для входа" in item["text"]]
    clock.advance(seconds=20)
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    codes = [item for item in sms_outbox if "Код для входа" in item["text"]]
    assert len(codes) == len(codes_before) + 1
    page = client.get(reverse("accounts:login_code"))
    assert page.context["sms_status"] == "active"
    assert page.context["resend_seconds_left"] == 60
    assert "Мы отправили SMS с кодом" in page.content.decode()
    # A real resend (the new code is outstanding) still waits.
    clock.advance(seconds=10)
    refused = client.post(reverse("accounts:login_code"), {"method": "sms", "action": "resend"})
    assert "Новый код можно запросить через 50 с." in refused.content.decode()
    response = code_step(client, last_sms_code(sms_outbox))
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(citizen.pk)


def test_resend_wait_is_zero_once_the_code_expired(citizen, clock, sms_outbox, django_capture_on_commit_callbacks):
    from accounts.security.second_factor import second_factor_send_sms, sms_resend_seconds_left

    with django_capture_on_commit_callbacks(execute=True):
        second_factor_send_sms(user=citizen, request=None)
    assert sms_resend_seconds_left(user=citizen) == 60
    clock.advance(minutes=10, seconds=1)
    assert sms_resend_seconds_left(user=citizen) == 0
    with django_capture_on_commit_callbacks(execute=True):
        second_factor_send_sms(user=citizen, request=None)
    assert len(sms_outbox) == 2


# --- 2. an app first, SMS only on request ------------------------------------------------------------


def test_user_with_an_app_gets_no_automatic_sms_and_is_asked_for_the_app_code(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    device = app_for(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    assert sms_outbox == []
    page = client.get(reverse("accounts:login_code"))
    assert page.context["method"] == "totp"
    html = page.content.decode()
    assert "Введите шестизначный код из приложения-аутентификатора." in html
    assert 'name="action" value="send_sms">Получить код по SMS</button>' in html
    response = code_step(client, f"{totp(device.bin_key):06d}", method="totp")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(citizen.pk)
    assert sms_outbox == []


def test_get_sms_code_button_sends_only_when_pressed(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    app_for(citizen)
    password_step(client, citizen.email)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:login_code"), {"method": "sms", "action": "send_sms"})
    assert response["Location"] == f"{reverse('accounts:login_code')}?method=sms"
    assert len(sms_outbox) == 1
    # Pressed again while that code is live: nothing more is sent, the page shows the live code.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("accounts:login_code"), {"method": "sms", "action": "send_sms"}, follow=True)
    assert len(sms_outbox) == 1
    assert again.context["sms_status"] == "active"
    assert code_step(client, last_sms_code(sms_outbox)).status_code == 302
    assert client.session[SESSION_KEY] == str(citizen.pk)


# --- 3. the SMS limit says the real time left --------------------------------------------------------


def test_sms_limit_default_is_ten_per_phone_per_hour():
    from portal.settings import base

    assert base.SMS_LIMIT_PER_PHONE_PER_HOUR == 10


def test_rate_limit_reports_the_time_left_rounded_up_to_a_minute(settings, clock):
    settings.SMS_LIMIT_PER_PHONE_PER_HOUR = 1
    sms_send_allowed(phone="+79161112233", ip_address=None)
    clock.advance(minutes=10, seconds=30)
    with pytest.raises(SmsRateLimited) as limited:
        sms_send_allowed(phone="+79161112233", ip_address=None)
    assert limited.value == SmsRateLimited("phone", 50 * 60)
    assert limited.value.retry_after_minutes == 50


def test_login_over_the_sms_limit_says_how_many_minutes_are_left(
    client, citizen, settings, sms_outbox, clock, django_capture_on_commit_callbacks
):
    settings.SMS_LOGIN_LIMIT_PER_PHONE_PER_HOUR = 1
    sms_send_allowed(phone=citizen.phone.as_e164, ip_address=None, purpose=SmsPurpose.LOGIN)
    clock.advance(minutes=25)
    with django_capture_on_commit_callbacks(execute=True):
        response = password_step(client, citizen.email)
    page = client.get(response["Location"]).content.decode()
    assert "Слишком много SMS за последнее время. Войдите другим способом или запросите код через 35 минут." in page
    assert sms_outbox == []


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(1, "1 минуту"), (3, "3 минуты"), (21, "21 минуту"), (35, "35 минут")],
)
def test_minutes_left_in_russian_plural_forms(minutes, text):
    from accounts.login.views import sms_rate_limited_message

    with translation.override("ru"):
        message = sms_rate_limited_message(SmsRateLimited("phone", minutes * 60))
    assert message == f"Слишком много SMS за последнее время. Войдите другим способом или запросите код через {text}."


# --- 4. a wrong code says how many tries are left ----------------------------------------------------


def test_wrong_login_code_says_how_many_tries_are_left(client, citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    code = last_sms_code(sms_outbox)
    response = code_step(client, wrong(code))
    assert response.context["form"].errors["token"] == ["Неверный код. Осталось попыток: 4."]
    for _ in range(2):
        code_step(client, wrong(code))
    response = code_step(client, wrong(code))
    assert response.context["form"].errors["token"] == ["Неверный код. Осталась 1 попытка."]


# --- 5. the new password after a reset, in registration's words ------------------------------------------


def test_reset_password_page_uses_registration_wording_and_shows_every_error(client, citizen):
    path = password_reset_url(user=citizen).split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    html = form_page.content.decode()
    assert "Не короче 8 символов, не только цифры, не похож на ваши имя и e-mail." in html
    assert "Новый пароль ещё раз" in html
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Кот-7", "new_password2": "Кот-8"})
    errors = response.context["form"].errors
    assert errors["new_password2"] == ["Пароли не совпадают."]
    assert errors["new_password1"] == [
        "Введённый пароль слишком короткий. Он должен состоять из как минимум 8 символов."
    ]
    assert "Введенные пароли не совпадают" not in response.content.decode()


# --- 6. the new-device alert names the browser the way people do ---------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (CHROME_LINUX, "Chrome на Linux"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari на iPhone",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox на Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
            "Safari/537.36 Edg/126.0.2592.87",
            "Edge на Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
            "Mobile Safari/537.36",
            "Chrome на Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
            "YaBrowser/24.4.0.0 Safari/537.36",
            "Яндекс Браузер на macOS",
        ),
        ("pytest-browser/1.0", "неизвестный браузер"),
        ("", "неизвестный браузер"),
    ],
)
def test_user_agent_described_in_words(user_agent, described):
    assert user_agent_describe(user_agent) == described


def test_new_device_alert_names_browser_and_system_not_the_raw_header(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:login"),
            {"username": citizen.email, "password": PASSWORD},
            REMOTE_ADDR="203.0.113.7",
            HTTP_USER_AGENT=CHROME_LINUX,
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:login_code"),
            {"token": last_sms_code(sms_outbox), "method": "sms", "action": "verify"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_USER_AGENT=CHROME_LINUX,
        )
    [alert] = mail.outbox
    assert "вошли с нового устройства или браузера:\nChrome на Linux\n" in alert.body
    assert "AppleWebKit" not in alert.body
    notification = Notification.objects.get(recipient=citizen, event="new_device_login")
    assert notification.title == "Вход на портал ОМС с нового устройства"
    assert "выполнен вход с нового устройства: Chrome на Linux." in notification.body


@pytest.mark.parametrize(
    ("event", "subject", "title"),
    [
        ("identity_confirmed", "Личность подтверждена — Портал ОМС", "Личность подтверждена"),
        ("identity_refused", "В подтверждении личности отказано — Портал ОМС", "В подтверждении личности отказано"),
    ],
)
def test_inbox_titles_carry_no_email_sender_suffix(
    citizen, event, subject, title, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=citizen, event=event, context={"reason": "плохо видно"}, dedupe_key=f"t:{event}", sms=False)
    assert Notification.objects.get(dedupe_key=f"t:{event}").title == title
    assert [message.subject for message in mail.outbox] == [subject]
    for path in Notification.objects.values_list("title", flat=True):
        assert "Портал ОМС" not in path


# --- 7. «Безопасность» -----------------------------------------------------------------------------------


def test_security_page_right_after_a_full_login_asks_no_password(
    client, citizen, sms_outbox, clock, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    clock.advance(minutes=4)
    assert client.get(reverse("accounts:security")).status_code == 200


def test_security_page_with_an_app_no_longer_pushes_adding_one(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    html = client.get(reverse("accounts:security")).content.decode()
    add = reverse("accounts:security_totp_add")
    assert f'<a class="button" href="{add}">Добавить приложение-аутентификатор</a>' in html
    app_for(citizen)
    html = client.get(reverse("accounts:security")).content.decode()
    assert "Приложение-аутентификатор подключено" in html
    assert f'<a class="button" href="{add}">' not in html
    assert f'<a class="button button-secondary" href="{add}">Добавить ещё одно приложение</a>' in html


def test_add_app_page_shows_the_qr_code_before_the_code_field(
    client, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    full_login(client, citizen, sms_outbox, django_capture_on_commit_callbacks)
    html = client.get(reverse("accounts:security_totp_add")).content.decode()
    assert html.index("Шаг 1. Отсканируйте QR-код") < html.index('class="totp-qr"') < html.index("Шаг 2. Введите код")
    assert html.index("Шаг 2. Введите код") < html.index('name="token"')
    field = re.search(r"<input[^>]*name=\"token\"[^>]*>", html).group(0)
    assert 'autocomplete="one-time-code"' in field
    assert 'inputmode="numeric"' in field


# --- 8. the lock-out page ---------------------------------------------------------------------------


def test_lockout_page_says_moscow_time_and_links_the_hotline(client, citizen, settings):
    from django.conf import settings as django_settings

    response = None
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        response = password_step(client, citizen.email, password="Неверный-пароль-9")
    assert response.status_code == 429
    html = response.content.decode()
    assert re.search(r"Блокировка снимется автоматически в \d\d:\d\d по московскому времени \(", html)
    assert '<a href="tel:88001007010">8 800 100-70-10</a>' in html
