"""The portal shell as people meet it: language switch, footer, demo outbox, inbox, readiness, phone layout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import OperationalError
from django.urls import reverse

from notifications.backends.sms import OutboxSmsBackend
from notifications.models import Notification

pytestmark = pytest.mark.django_db


# --- language ------------------------------------------------------------------------------------


def test_language_switch_in_the_footer_turns_the_portal_english(client):
    home = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("set_language")}"' in home
    assert '<option value="en" lang="en">English</option>' in home

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    content = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in content
    assert "Update your OMS policy online" in content
    assert "<title>OMS policy online — OMS Portal</title>" in content
    assert "Обновить полис ОМС онлайн" not in content


def test_home_page_is_russian_with_its_title_and_landmarks(client):
    content = client.get(reverse("home")).content.decode()

    assert '<html lang="ru">' in content
    assert "<title>Полис ОМС онлайн — Портал ОМС</title>" in content
    assert '<h1 id="page-title">Обновить полис ОМС онлайн</h1>' in content
    assert '<a class="skip-link" href="#main">Перейти к содержанию</a>' in content
    assert '<main id="main" class="container site-main" tabindex="-1">' in content
    assert '<header class="site-header">' in content
    assert '<footer class="site-footer">' in content


# --- footer --------------------------------------------------------------------------------------


def test_footer_shows_the_hotline_and_the_support_link(client, settings):
    settings.HOTLINE_PHONE = "8 800 555-35-35"
    settings.SUPPORT_EMAIL = "help@oms.example.ru"

    content = client.get(reverse("home")).content.decode()

    assert 'Горячая линия: <a href="tel:88005553535">8 800 555-35-35</a>' in content
    assert '<a href="mailto:help@oms.example.ru">Написать в поддержку</a>' in content


def test_the_footer_is_drawn_once_per_language_and_redrawn_when_a_setting_changes(client, settings):
    """The footer's contacts and language list are the same for everyone in one language: they come
    from the process's fragment cache, one copy per language, and a changed setting is never
    answered from the old copy."""
    from django.core.cache import caches
    from django.core.cache.utils import make_template_fragment_key

    caches["fragments"].clear()
    settings.HOTLINE_PHONE = "8 800 100-00-01"
    russian = client.get(reverse("home")).content.decode()
    assert "8 800 100-00-01" in russian and "Горячая линия" in russian
    assert caches["fragments"].get(make_template_fragment_key("footer-contacts", ["ru"])) is not None
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("home")).content.decode()
    assert "Hotline" in english and "Горячая линия" not in english
    settings.HOTLINE_PHONE = "8 800 100-00-02"
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    again = client.get(reverse("home")).content.decode()
    assert "8 800 100-00-02" in again and "8 800 100-00-01" not in again


# --- the demo outbox page ----------------------------------------------------------------------------


def test_dev_outbox_is_not_found_when_switched_off(client, settings):
    settings.SHOW_DEV_OUTBOX = False
    OutboxSmsBackend().send("+79161234567", "Код для входа: 482913")

    response = client.get(reverse("dev-outbox"))

    assert response.status_code == 404
    assert "482913" not in response.content.decode()
    assert reverse("dev-outbox") not in client.get(reverse("home")).content.decode()


def test_dev_outbox_lists_an_sms_written_by_the_outbox_backend(client, settings):
    settings.SHOW_DEV_OUTBOX = True
    OutboxSmsBackend().send("+79161234567", "Код для входа: 482913")

    response = client.get(reverse("dev-outbox"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "SMS → +79161234567" in content
    assert "<pre>Код для входа: 482913</pre>" in content
    assert f'<a href="{reverse("dev-outbox")}">Отправленные SMS и письма (демо)</a>' in content


def test_dev_outbox_says_so_when_nothing_was_sent(client, settings):
    settings.SHOW_DEV_OUTBOX = True

    content = client.get(reverse("dev-outbox")).content.decode()

    assert "Пока ничего не отправлено." in content


# --- notifications inbox -------------------------------------------------------------------------


@pytest.fixture
def citizen_notification(citizen):
    return Notification.objects.create(
        recipient=citizen, event="demo_ping", title="Заявка принята", body="Мы рассмотрим её за 5 рабочих дней."
    )


def test_inbox_owner_sees_their_notification_and_the_bell_counts_it(client, citizen, citizen_notification):
    client.force_login(citizen)

    response = client.get(reverse("notifications:inbox"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Заявка принята" in content
    assert "Мы рассмотрим её за 5 рабочих дней." in content
    assert reverse("notifications:mark-read", args=[citizen_notification.pk]) in content
    assert "Уведомления: 1 непрочитанное" in content
    assert '<span class="badge" aria-hidden="true">1</span>' in content
    assert 'aria-current="page"' in content


def test_inbox_other_citizen_does_not_see_it(client, other_citizen, citizen_notification):
    client.force_login(other_citizen)

    response = client.get(reverse("notifications:inbox"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Заявка принята" not in content
    assert "Уведомлений пока нет." in content
    assert "Уведомления: 0 непрочитанных" in content
    assert 'class="badge"' not in content


def test_inbox_anonymous_is_redirected_to_login(client, citizen_notification):
    response = client.get(reverse("notifications:inbox"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={reverse('notifications:inbox')}"


def test_owner_marks_their_notification_read(client, citizen, citizen_notification):
    client.force_login(citizen)

    response = client.post(reverse("notifications:mark-read", args=[citizen_notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:inbox")
    citizen_notification.refresh_from_db()
    assert citizen_notification.read_at is not None
    assert "Уведомления: 0 непрочитанных" in client.get(reverse("home")).content.decode()


def test_marking_someone_elses_notification_read_is_404_and_changes_nothing(
    client, other_citizen, citizen_notification
):
    client.force_login(other_citizen)

    response = client.post(reverse("notifications:mark-read", args=[citizen_notification.pk]))

    assert response.status_code == 404
    citizen_notification.refresh_from_db()
    assert citizen_notification.read_at is None


# --- cabinet --------------------------------------------------------------------------------------


def test_cabinet_has_its_navigation(client, citizen):
    client.force_login(citizen)

    content = client.get(reverse("cabinet")).content.decode()

    assert '<nav class="cabinet-nav" aria-label="Разделы кабинета">' in content
    assert f'<a href="{reverse("cabinet")}" aria-current="page">Мои услуги</a>' in content
    assert f'<a href="{reverse("notifications:inbox")}">Уведомления</a>' in content


# --- readiness -----------------------------------------------------------------------------------


def test_readyz_names_the_broker_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "error: ConnectionError"


class _BrokenConnection:
    """Failure injection: a database connection whose cursor cannot be opened."""

    def cursor(self):
        raise OperationalError("could not connect to server")


def test_readyz_names_the_database_when_it_fails(client, settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setattr("portal.services.connection", _BrokenConnection())

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == "error: OperationalError"


# --- the form partials ---------------------------------------------------------------------------


def test_field_partial_links_hint_and_error_to_the_input():
    from django import forms
    from django.template.loader import render_to_string

    class PhoneForm(forms.Form):
        phone = forms.CharField(label="Телефон", help_text="Например, +7 916 123-45-67")

    form = PhoneForm(data={"phone": ""})
    assert not form.is_valid()

    summary = render_to_string("includes/_form_errors.html", {"form": form})
    field = render_to_string("includes/_field.html", {"field": form["phone"]})

    assert '<a href="#id_phone">Телефон: Обязательное поле.</a>' in summary
    assert "data-error-summary" in summary
    assert '<p class="hint" id="id_phone-hint">Например, +7 916 123-45-67</p>' in field
    assert '<div class="error-message" id="id_phone-error"><p>Обязательное поле.</p></div>' in field
    assert 'aria-describedby="id_phone-hint id_phone-error"' in field
    assert 'aria-invalid="true"' in field
    # The message comes before the input, so it is read first.
    assert field.index('id="id_phone-error"') < field.index('<input type="text" name="phone"')


# --- a phone screen in a real browser --------------------------------------------------------------


@pytest.mark.browser
def test_home_fits_a_360px_phone_and_tab_reaches_the_skip_link_first(page):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(page.live_server_url + "/")

    assert page.title() == "Полис ОМС онлайн — Портал ОМС"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "Перейти к содержанию"]
    # The skip link is on screen once focused (it hides above the page until then).
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # SCREENSHOT_DIR=docs/screenshots refreshes the pictures in the repository.
    if screenshot_dir := os.environ.get("SCREENSHOT_DIR"):
        folder = Path(screenshot_dir)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "home-360.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(folder / "home-desktop.png"), full_page=True)


def test_field_partial_keeps_a_describedby_the_form_set_without_repeating_ids():
    from django import forms
    from django.template.loader import render_to_string

    class SnilsForm(forms.Form):
        snils = forms.CharField(
            label="СНИЛС",
            help_text="11 цифр",
            widget=forms.TextInput(attrs={"aria-describedby": "snils-example id_snils-hint"}),
        )

    form = SnilsForm(data={"snils": ""})
    assert not form.is_valid()

    field = render_to_string("includes/_field.html", {"field": form["snils"]})

    assert 'aria-describedby="snils-example id_snils-hint id_snils-error"' in field


def test_cabinet_shows_the_owners_current_policy_only(client, citizen, other_citizen):
    from oms_policy.tests.factories import PolicyFactory

    PolicyFactory(holder=citizen, enp="2847040848000286")
    client.force_login(other_citizen)
    response = client.get(reverse("cabinet"))
    assert response.status_code == 200
    assert "2847 0408 4800 0286" not in response.content.decode()
    assert response.context["policy"] is None

    client.force_login(citizen)
    content = client.get(reverse("cabinet")).content.decode()
    assert "2847 0408 4800 0286" in content
    assert "СОГАЗ-Мед" in content


def test_templates_get_the_user_itself_not_the_lazy_wrappers(client, citizen):
    """`request.user` is django-otp's lazy object around Django's: templates get the object inside,
    with what django-otp put on it, so each `user.…` read is one attribute, not two proxies."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import LazyObject

    anonymous = client.get(reverse("help")).context["user"]
    assert type(anonymous) is AnonymousUser
    client.force_login(citizen)
    user = client.get(reverse("cabinet")).context["user"]
    assert not isinstance(user, LazyObject) and type(user) is type(citizen) and user.pk == citizen.pk
    assert user.is_verified() is False and user.otp_device is None
