"""Issue 6 points 9 and 11: what a citizen noticed (links, backup codes, new-device alerts, wording)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import KnownDevice, User
from accounts.security.second_factor import backup_codes_generate
from accounts.tests.login_support import code_step, last_sms_code, password_step
from accounts.tests.test_registration import PASSWORD as REGISTRATION_PASSWORD
from accounts.tests.test_registration import form_data, sent_code
from portal.tests.test_settings import _manage, _production_env

pytestmark = pytest.mark.django_db


def test_links_follow_the_port_the_demo_runs_on(tmp_path):
    env = _production_env(tmp_path, PORTAL_BASE_URL=None)
    env.update({"HOST": "127.0.0.1", "PORT": "8123", "DJANGO_SETTINGS_MODULE": "portal.settings.local"})
    code = "from django.conf import settings as s; print(s.PORTAL_BASE_URL)"
    result = _manage(["shell", "-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123"


@pytest.fixture
def security_client(client, citizen):
    from accounts.login.services import REAUTH_KEY

    client.force_login(citizen)
    session = client.session
    session[REAUTH_KEY] = 4102444800.0  # far in the future: the password was «just» typed
    session.save()
    return client


def test_reloading_the_backup_codes_page_explains_instead_of_405(security_client):
    response = security_client.get(reverse("accounts:security_backup_codes"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Резервные коды показываются только один раз" in page
    assert "Создать новые коды" in page


def test_new_backup_codes_can_be_downloaded_and_printed_and_the_wording_is_neutral(security_client):
    response = security_client.post(reverse("accounts:security_backup_codes"))
    page = response.content.decode()
    codes = response.context["codes"]
    assert len(codes) == 10
    assert 'download="oms-backup-codes.txt"' in page
    text = response.context["codes_text"]
    assert all(code in text for code in codes)
    assert "data-print" in page and "js/print-button.js" in page
    assert "Коды сохранены — вернуться" in page
    assert "сохранил" not in page.replace("сохранили", "")


def test_a_reused_backup_code_says_it_was_used(client, citizen, django_capture_on_commit_callbacks):
    codes = backup_codes_generate(user=citizen)
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    assert code_step(client, codes[0], method="backup_code").status_code == 302
    client.post(reverse("accounts:logout"))
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, citizen.email)
    response = code_step(client, codes[0], method="backup_code")
    assert response.context["form"].errors["token"] == [
        "Этот резервный код уже использован: каждый действует один раз. Введите другой код из списка."
    ]
    assert code_step(client, "AAAAA-BBBBB", method="backup_code").context["form"].errors["token"] == ["Неверный код."]


def test_no_new_device_alert_at_the_first_login_after_registering_in_this_browser(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), form_data())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register-code"), {"code": sent_code(sms_outbox)})
    user = User.objects.get()
    assert KnownDevice.objects.filter(user=user).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert password_step(client, user.email, REGISTRATION_PASSWORD).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        code_step(client, last_sms_code(sms_outbox))
    assert "_auth_user_id" in client.session
    assert [m.subject for m in mail.outbox if "нового устройства" in m.subject] == []
    assert not any("нового устройства" in item["text"] for item in sms_outbox)


# --- point 12: errors that say what to do, marked fields, the title -----------------------------------


def test_a_wrong_password_marks_both_fields_and_the_title_says_error(client, citizen):
    response = password_step(client, citizen.email, "Неверный-пароль-9")
    page = response.content.decode()
    assert re.search(r"<title>Ошибка: Вход — Портал ОМС</title>", page)
    assert re.search(r'<input[^>]*name="username"[^>]*aria-invalid="true"', page)
    assert re.search(r'<input[^>]*name="password"[^>]*aria-invalid="true"', page)
    assert "<title>Вход — Портал ОМС</title>" in client.get(reverse("accounts:login")).content.decode()


def test_empty_fields_say_how_to_fix_them(client):
    response = client.post(reverse("accounts:register"), {})
    errors = response.context["form"].errors
    assert errors["last_name"] == ["Укажите фамилию."]
    assert errors["phone"] == ["Укажите номер мобильного телефона."]
    assert errors["email"] == ["Укажите e-mail."]
    assert errors["password1"] == ["Придумайте пароль."]
    assert response.content.decode().count("Обязательное поле") == 0
    assert "<title>Ошибка:" in response.content.decode()
    login = client.post(reverse("accounts:login"), {}).context["form"].errors
    assert login == {"username": ["Укажите телефон, e-mail или СНИЛС."], "password": ["Укажите пароль."]}
