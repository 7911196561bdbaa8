"""The staff admin: a TOTP second factor for everybody, and each group doing exactly its own work."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import StaffGroup
from accounts.tests.admin_helpers import (
    PASSWORD,
    standard_citizen_make,
    totp_device_for,
    totp_token,
    verification_make,
    verified_staff_client,
)

ADMIN_INDEX = "/admin/"
ADMIN_LOGIN = "/admin/login/"


# --- the second factor --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "support", "verifier", "admin"])
def test_staff_without_a_second_factor_are_sent_to_the_admin_login(persona, request, client, db):
    staff = request.getfixturevalue(persona)
    client.force_login(staff)
    response = client.get(ADMIN_INDEX)
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN_LOGIN}?next={ADMIN_INDEX}"
    changelist = client.get(reverse("admin:accounts_user_changelist"))
    assert changelist.status_code == 302


def test_a_session_verified_by_another_kind_of_device_is_not_enough(admin, client):
    """Only an authenticator app opens the admin: not a backup code, not an SMS code."""
    device = StaticDevice.objects.create(user=admin, name="Резервные коды", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.get(ADMIN_INDEX)
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN_LOGIN}?next={ADMIN_INDEX}"


def _login(client: Client, data: dict):
    return client.post(f"{ADMIN_LOGIN}?next={ADMIN_INDEX}", data)


def test_login_with_password_and_totp_code_opens_the_admin(verifier, client):
    device = totp_device_for(verifier)
    response = _login(
        client,
        {
            "username": verifier.email,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": totp_token(device),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == ADMIN_INDEX
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(ADMIN_INDEX).status_code == 200


def test_login_with_the_only_app_needs_no_device_choice(verifier, client):
    device = totp_device_for(verifier)
    response = _login(client, {"username": verifier.email, "password": PASSWORD, "otp_token": totp_token(device)})
    assert response.status_code == 302
    assert client.get(ADMIN_INDEX).status_code == 200


def test_a_wrong_or_replayed_code_is_refused(verifier, client):
    device = totp_device_for(verifier)
    token = totp_token(device)
    wrong = f"{(int(token) + 1) % 1_000_000:06d}"
    data = {"username": verifier.email, "password": PASSWORD, "otp_device": device.persistent_id}
    response = _login(client, {**data, "otp_token": wrong})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Код не подошёл. Введите новый код из приложения; проверьте время на телефоне."
    ]
    assert client.get(ADMIN_INDEX).status_code == 302

    assert _login(client, {**data, "otp_token": token}).status_code == 302
    replay = Client()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save(update_fields=["throttling_failure_count"])
    response = _login(replay, {**data, "otp_token": token})
    assert response.status_code == 200
    assert replay.get(ADMIN_INDEX).status_code == 302


def test_a_backup_code_is_not_accepted_by_the_admin_login(verifier, client):
    totp_device_for(verifier)
    static = StaticDevice.objects.create(user=verifier, name="Резервные коды", confirmed=True)
    StaticToken.objects.create(device=static, token="12345678")
    response = _login(
        client,
        {
            "username": verifier.email,
            "password": PASSWORD,
            "otp_device": static.persistent_id,
            "otp_token": "12345678",
        },
    )
    assert response.status_code == 200
    assert client.get(ADMIN_INDEX).status_code == 302
    assert StaticToken.objects.filter(device=static, token="12345678").exists()  # not spent either
    # The list of devices offered names the authenticator app only.
    assert [choice for choice, _ in response.context["form"].fields["otp_device"].widget.choices] == [
        "",
        TOTPDevice.objects.get(user=verifier).persistent_id,
    ]


def test_staff_without_an_authenticator_app_are_told_what_to_do(reviewer, client):
    response = _login(client, {"username": reviewer.email, "password": PASSWORD, "otp_token": "123456"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Для входа в админку нужно приложение-генератор кодов (TOTP). Попросите администратора "
        "подключить его к вашей учётной записи."
    ]


def test_a_citizen_cannot_log_in_to_the_admin(client, db):
    citizen = standard_citizen_make()
    device = totp_device_for(citizen)
    response = _login(client, {"username": citizen.email, "password": PASSWORD, "otp_token": totp_token(device)})
    assert response.status_code == 200
    assert client.get(ADMIN_INDEX).status_code == 302


def test_the_admin_login_page_is_in_russian(client, db):
    html = client.get(ADMIN_LOGIN).content.decode()
    assert "Код из приложения" in html
    assert "Коды из SMS в админке не принимаются." in html


# --- each group does exactly its own work ---------------------------------------------------------

PAGES = {
    "users": "admin:accounts_user_changelist",
    "user_add": "admin:accounts_user_add",
    "verifications": "admin:accounts_identityverification_changelist",
    "audit": "admin:accounts_auditevent_changelist",
    "totp_devices": "admin:otp_totp_totpdevice_changelist",
}
EXPECTED = {
    "reviewer": {"users": 200, "user_add": 403, "verifications": 403, "audit": 403, "totp_devices": 403},
    "support": {"users": 200, "user_add": 403, "verifications": 403, "audit": 200, "totp_devices": 403},
    "verifier": {"users": 403, "user_add": 403, "verifications": 200, "audit": 403, "totp_devices": 403},
    "admin": {"users": 200, "user_add": 200, "verifications": 200, "audit": 200, "totp_devices": 200},
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_each_group_opens_exactly_its_own_pages(persona, request, db):
    staff = request.getfixturevalue(persona)
    client = verified_staff_client(staff)
    got = {page: client.get(reverse(name)).status_code for page, name in PAGES.items()}
    assert got == EXPECTED[persona]


# What each group may do in accounts (other apps add their own permissions in their migrations).
GROUP_ACCOUNT_PERMISSIONS = {
    StaffGroup.REVIEWERS: {"view_user"},
    StaffGroup.SUPPORT: {"view_user", "view_auditevent"},
    StaffGroup.VERIFIERS: {"view_identityverification", "change_identityverification"},
}


@pytest.mark.parametrize("group_name", list(GROUP_ACCOUNT_PERMISSIONS))
def test_groups_hold_exactly_the_accounts_permissions_they_need(group_name, db):
    group = Group.objects.get(name=group_name)
    codenames = set(group.permissions.filter(content_type__app_label="accounts").values_list("codename", flat=True))
    assert codenames == GROUP_ACCOUNT_PERMISSIONS[group_name]


@pytest.mark.parametrize("persona", ["reviewer", "support", "verifier"])
def test_nobody_but_a_superuser_changes_a_user(persona, request, citizen, db):
    client = verified_staff_client(request.getfixturevalue(persona))
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    response = client.post(url, {"email": "stolen@example.ru", "last_name": "Чужой"})
    assert response.status_code == 403
    password = client.post(
        reverse("admin:auth_user_password_change", args=[citizen.pk]),
        {"password1": "Новый-пароль-123", "password2": "Новый-пароль-123"},
    )
    assert password.status_code == 403
    citizen.refresh_from_db()
    assert (citizen.email, citizen.last_name) != ("stolen@example.ru", "Чужой")
    assert citizen.check_password(PASSWORD)


def test_user_pages_never_show_the_password_hash(admin, reviewer, citizen):
    for staff in (admin, reviewer):
        html = (
            verified_staff_client(staff).get(reverse("admin:accounts_user_change", args=[citizen.pk])).content.decode()
        )
        assert citizen.password not in html
        assert citizen.password.split("$")[-1] not in html
        assert "md5" not in html.lower() and "хеш" not in html.lower() and "hash" not in html.lower()
        assert "задан" in html


def test_users_are_found_by_phone_email_snils_and_name(support, citizen, other_citizen):
    client = verified_staff_client(support)
    url = reverse("admin:accounts_user_changelist")
    phone_digits = citizen.phone.as_e164[2:]
    for query in (citizen.email, phone_digits, citizen.snils, "Иванова"):
        result = client.get(url, {"q": query}).context["cl"].result_list
        assert list(result) == [citizen], query


def test_the_verification_queue_is_pending_first_then_oldest(verifier, db):
    from accounts.constants import VerificationStatus

    people = [standard_citizen_make() for _ in range(4)]
    decided_old = verification_make(
        user=people[0], status=VerificationStatus.REFUSED, decided_days_ago=1, submitted_days_ago=10
    )
    pending_new = verification_make(user=people[1], submitted_days_ago=1)
    pending_old = verification_make(user=people[2], submitted_days_ago=5)
    confirmed = verification_make(
        user=people[3], status=VerificationStatus.CONFIRMED, decided_days_ago=1, submitted_days_ago=3
    )
    response = verified_staff_client(verifier).get(
        reverse("admin:accounts_identityverification_changelist"), {"status": "all"}
    )
    assert [row.pk for row in response.context["cl"].result_list] == [
        pending_old.pk,
        pending_new.pk,
        decided_old.pk,
        confirmed.pk,
    ]


def test_the_verification_changelist_query_count_does_not_grow_with_rows(verifier, django_assert_max_num_queries):
    client = verified_staff_client(verifier)
    url = reverse("admin:accounts_identityverification_changelist")
    for _ in range(3):
        verification_make(user=standard_citizen_make())
    client.get(url)  # warm the content-type cache
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(12):
        verification_make(user=standard_citizen_make())
    # 12 = the admin page frame (session, user, the TOTP device, the header's unread count, session
    # save x3), the permission checks (2), the count, the filtered count and the page of rows.
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 15
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_verifiers_change_permission_does_not_open_users(verifier):
    assert not verifier.has_perm("accounts.view_user")
    assert verifier.has_perm("accounts.change_identityverification")
    assert Permission.objects.filter(codename="change_user", group__name__in=list(StaffGroup)).count() == 0


# --- pages a role may not open, and wording -------------------------------------------------------


def test_a_forbidden_admin_page_is_a_russian_page_with_a_way_back(reviewer, settings):
    settings.HOTLINE_PHONE = "8 800 555-35-35"
    response = verified_staff_client(reviewer).get(reverse("admin:accounts_identityverification_changelist"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Нет доступа к этой странице</h1>" in html
    assert "Вашей роли эта страница недоступна." in html
    assert '<a class="button" href="/admin/">Вернуться в рабочее место сотрудника</a>' in html
    assert '<a href="tel:88005553535">8 800 555-35-35</a>' in html
    assert "403 Forbidden" not in html


def test_a_forbidden_page_sends_a_citizen_to_the_cabinet(citizen, client):
    client.force_login(citizen)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302  # not staff: the admin login, never a 403
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory
    from django.views.defaults import permission_denied

    request = RequestFactory().get("/somewhere/")
    request.user = citizen
    html = permission_denied(request, PermissionDenied()).content.decode()
    assert '<a class="button" href="/cabinet/">Перейти в личный кабинет</a>' in html


def test_a_missing_page_is_a_russian_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Страница не найдена</h1>" in html
    assert '<a class="button" href="/">На главную</a>' in html


def test_the_server_error_page_needs_no_context(settings):
    """500.html is rendered with an empty Context (no context processors, no database)."""
    from django.template import Context, loader

    settings.HOTLINE_PHONE = "8 800 555-35-35"
    html = loader.get_template("500.html").template.render(Context())
    assert "<h1>Ошибка на сервере</h1>" in html
    assert '<a href="tel:88005553535">8 800 555-35-35</a>' in html


def test_read_only_staff_see_no_password_link(reviewer, admin, citizen):
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    password_url = reverse("admin:auth_user_password_change", args=[citizen.pk])
    read_only = verified_staff_client(reviewer).get(url).content.decode()
    assert "сменить пароль" not in read_only and password_url not in read_only
    assert '<div class="readonly">задан</div>' in read_only
    full = verified_staff_client(admin).get(url).content.decode()
    assert f'задан — <a href="{password_url}">сменить пароль</a>' in full


def test_user_pages_have_russian_headings(support, citizen):
    client = verified_staff_client(support)
    changelist = client.get(reverse("admin:accounts_user_changelist"))
    assert changelist.context["title"] == "Пользователи"
    assert "Выберите пользователь" not in changelist.content.decode()
    change = client.get(reverse("admin:accounts_user_change", args=[citizen.pk]))
    assert change.context["title"] == f"Пользователь: {citizen.full_name}"
    assert "Просмотреть пользователь" not in change.content.decode()


def test_every_accounts_field_has_a_russian_name():
    """Every field declared in accounts is named in Russian (django-otp's inherited fields are its own)."""
    from django.apps import apps
    from django_otp.models import SideChannelDevice

    inherited = {field.name for field in SideChannelDevice._meta.get_fields()}
    missing = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("accounts").get_models()
        for field in model._meta.get_fields()
        if field.concrete
        and not field.auto_created
        and field.model is model
        and field.name not in inherited
        and str(field.verbose_name).isascii()
        and str(field.verbose_name) != "e-mail"
    ]
    assert missing == []
    from accounts.models import User

    assert User._meta.get_field("sessions_valid_after").verbose_name == "сеансы действительны после"


def test_the_audit_log_has_russian_headings(support, citizen):
    from accounts.models import AuditEvent

    event = AuditEvent.objects.create(kind="login", subject=citizen)
    client = verified_staff_client(support)
    assert client.get(reverse("admin:accounts_auditevent_changelist")).context["title"] == "Журнал безопасности"
    change = client.get(reverse("admin:accounts_auditevent_change", args=[event.pk]))
    assert change.context["title"] == f"Событие журнала: {event}"


@pytest.mark.browser
def test_the_verification_queue_fits_1280_pixels(verifier, page, settings):
    """Every column of the queue, «Решение» and «Видео» included, is inside the page at 1280 px."""
    from accounts.constants import VerificationStatus
    from accounts.tests.factories import CitizenFactory

    decider = CitizenFactory(last_name="Петров-Водкин", first_name="Пётр", is_staff=True)
    for _ in range(3):
        verification_make(
            user=standard_citizen_make(
                last_name="Константинопольская", first_name="Александра", patronymic="Владимировна"
            )
        )
    verification_make(
        user=standard_citizen_make(), status=VerificationStatus.REFUSED, decided_days_ago=1, verifier=decider
    )
    staff = verified_staff_client(verifier)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": staff.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": page.live_server_url,
            }
        ]
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(page.live_server_url + reverse("admin:accounts_identityverification_changelist") + "?status=all")
    table_right, page_width, scroll_width = page.evaluate(
        "() => [document.querySelector('#result_list').getBoundingClientRect().right,"
        " document.documentElement.clientWidth, document.documentElement.scrollWidth]"
    )
    assert scroll_width == page_width == 1280
    assert table_right <= page_width
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert [text.strip().lower() for text in headers[1:]] == [
        "id",
        "гражданин",
        "отправлено",
        "статус",
        "решение",
        "видео",
    ]
