"""Staff changing a citizen's phone, e-mail or SNILS in the admin: the services of the citizen's own
change, never a raw save — an audit row, notices to the citizen, uniqueness with the error on the field."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.constants import AuditEventKind
from accounts.models import AuditEvent, ContactConfirmation, User
from accounts.security.crypto import snils_lookup_hash
from accounts.tests.admin_helpers import verified_staff_client
from accounts.tests.factories import CitizenFactory, StaffFactory
from notifications.models import Notification, OutboundMessage

pytestmark = pytest.mark.django_db

OLD_PHONE = "+79161112233"
NEW_PHONE = "+79169998877"
OLD_EMAIL = "anna@example.ru"
OLD_SNILS = "11223344595"
NEW_SNILS = "08765430300"  # a valid checksum: 087-654-303 00


@pytest.fixture
def person(db) -> User:
    return CitizenFactory(
        phone=OLD_PHONE,
        email=OLD_EMAIL,
        snils=OLD_SNILS,
        last_name="Иванова",
        first_name="Анна",
        patronymic="Сергеевна",
        phone_confirmed_at=timezone.now() - datetime.timedelta(days=30),
        email_confirmed_at=timezone.now() - datetime.timedelta(days=30),
    )


@pytest.fixture
def editor(db) -> User:
    """A staff member who may change accounts (not a superuser: the permission is what counts)."""
    staff = StaffFactory(last_name="Сотрудникова")
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=["view_user", "change_user"])
    )
    return staff


def form_data(user: User, **changes) -> dict:
    """The change form as the admin shows it for `user`, with `changes` typed over it."""
    data = {
        "email": user.email,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "patronymic": user.patronymic,
        "birth_date": user.birth_date.strftime("%d.%m.%Y") if user.birth_date else "",
        "sex": user.sex,
        "phone": user.phone.as_e164 if user.phone else "",
        "snils": user.snils or "",
        "is_active": "on",
        "groups": [],
        "user_permissions": [],
        "_save": "Сохранить",
    }
    data.update(changes)
    return data


def post_change(client, user: User, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("admin:accounts_user_change", args=[user.pk]), form_data(user, **changes))


def raw_snils_column(user: User) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT snils FROM accounts_user WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


def outbound(user: User) -> list[tuple[str, str, str]]:
    return sorted(
        OutboundMessage.objects.filter(user=user).values_list("event", "channel", "recipient"), key=lambda row: row
    )


# --- the three changes -----------------------------------------------------------------------------


def test_staff_change_the_phone_through_the_contact_service(
    editor, person, sms_outbox, django_capture_on_commit_callbacks
):
    pending = ContactConfirmation.objects.create(
        user=person,
        channel=ContactConfirmation.Channel.PHONE,
        purpose=ContactConfirmation.Purpose.CONTACT_CHANGE,
        target="+79165554433",
        expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    before = timezone.now()
    response = post_change(verified_staff_client(editor), person, django_capture_on_commit_callbacks, phone=NEW_PHONE)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    person.refresh_from_db()
    assert person.phone.as_e164 == NEW_PHONE
    assert person.phone_confirmed_at >= before
    audit = AuditEvent.objects.get(kind=AuditEventKind.CONTACT_CHANGED)
    assert (audit.actor, audit.subject) == (editor, person)
    assert audit.details == {
        "channel": "phone",
        "old": "+7 *** ***-**-33",
        "new": "+7 *** ***-**-77",
        "source": "admin",
    }
    # The old number is told (as after the citizen's own change), and the new one, which the
    # portal had sent nothing to.
    assert outbound(person) == [
        ("contact_changed", "sms", OLD_PHONE),
        ("contact_set_by_staff", "sms", NEW_PHONE),
    ]
    to_old = OutboundMessage.objects.get(event="contact_changed")
    assert to_old.body == (
        "Номер телефона в вашей учётной записи на портале ОМС изменил сотрудник портала: теперь указан "
        "+7 *** ***-**-77. Если вы не обращались на портал, срочно позвоните на горячую линию "
        f"{_hotline()}."
    )
    inbox = Notification.objects.get(recipient=person, event="contact_changed")
    assert "Изменение внёс сотрудник портала." in inbox.body
    assert {message["to"].replace(" ", "").replace("-", "") for message in sms_outbox} == {OLD_PHONE, NEW_PHONE}
    # The citizen's own unfinished change would undo this one with its code: it no longer works.
    pending.refresh_from_db()
    assert pending.expires_at <= timezone.now()


def test_staff_change_the_email_through_the_contact_service(editor, person, django_capture_on_commit_callbacks):
    before = timezone.now()
    response = post_change(
        verified_staff_client(editor), person, django_capture_on_commit_callbacks, email="Anna.New@Example.RU"
    )
    assert response.status_code == 302

    person.refresh_from_db()
    assert person.email == "anna.new@example.ru"
    assert person.email_confirmed_at >= before
    audit = AuditEvent.objects.get(kind=AuditEventKind.CONTACT_CHANGED)
    assert (audit.actor, audit.subject) == (editor, person)
    assert audit.details == {
        "channel": "email",
        "old": "a***a@example.ru",
        "new": "a***w@example.ru",
        "source": "admin",
    }
    assert outbound(person) == [
        ("contact_changed", "email", OLD_EMAIL),
        ("contact_set_by_staff", "email", "anna.new@example.ru"),
    ]
    to_new = OutboundMessage.objects.get(event="contact_set_by_staff")
    assert to_new.subject == "Этот адрес указан в учётной записи на портале ОМС"
    assert "Сотрудник портала ОМС указал этот адрес электронной почты в вашей учётной записи." in to_new.body
    assert Notification.objects.filter(recipient=person, event="contact_changed").count() == 1


def test_staff_change_the_snils_encrypted_with_its_lookup_hash(editor, person, django_capture_on_commit_callbacks):
    response = post_change(
        verified_staff_client(editor), person, django_capture_on_commit_callbacks, snils="087-654-303 00"
    )
    assert response.status_code == 302

    person.refresh_from_db()
    assert person.snils == NEW_SNILS
    assert person.snils_hash == snils_lookup_hash(NEW_SNILS)
    stored = raw_snils_column(person)
    assert stored.startswith("gAAAAA") and NEW_SNILS not in stored
    assert User.objects.filter(snils_hash=snils_lookup_hash(OLD_SNILS)).count() == 0
    audit = AuditEvent.objects.get(kind=AuditEventKind.SNILS_CHANGED)
    assert (audit.actor, audit.subject) == (editor, person)
    assert audit.details == {"field": "snils", "old": "***-***-*** 95", "new": "***-***-*** 00", "source": "admin"}
    assert outbound(person) == [("snils_changed", "email", OLD_EMAIL), ("snils_changed", "sms", OLD_PHONE)]
    sms = OutboundMessage.objects.get(event="snils_changed", channel="sms")
    assert sms.body == (
        "Портал ОМС: сотрудник изменил СНИЛС в вашей учётной записи, теперь указан ***-***-*** 00. "
        f"Если вы не обращались на портал, позвоните: {_hotline()}."
    )
    inbox = Notification.objects.get(recipient=person, event="snils_changed")
    assert inbox.title == "СНИЛС изменён"


def test_other_fields_are_saved_without_contact_notices(editor, person, django_capture_on_commit_callbacks):
    response = post_change(
        verified_staff_client(editor),
        person,
        django_capture_on_commit_callbacks,
        snils="112-233-445 95",
        last_name="Петрова",
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.last_name == "Петрова"
    assert person.snils == OLD_SNILS  # the same number typed with separators is no change
    assert not AuditEvent.objects.filter(kind__in=[AuditEventKind.CONTACT_CHANGED, AuditEventKind.SNILS_CHANGED])
    assert not OutboundMessage.objects.exists()


# --- refused changes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "holder_phone", "Этот номер уже указан в другой учётной записи."),
        ("email", "HOLDER@example.ru", "Этот адрес e-mail уже указан в другой учётной записи."),
        ("snils", "087-654-303 00", "Этот СНИЛС уже указан в другой учётной записи."),
        ("phone", "", "Номер телефона нельзя удалить: укажите новый номер."),
    ],
)
def test_a_value_another_account_holds_is_an_error_on_the_field(
    field, value, message, editor, person, django_capture_on_commit_callbacks
):
    holder = CitizenFactory(phone="+79160000001", email="holder@example.ru", snils=NEW_SNILS)
    value = holder.phone.as_e164 if value == "holder_phone" else value
    response = post_change(
        verified_staff_client(editor), person, django_capture_on_commit_callbacks, last_name="Петрова", **{field: value}
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {field: [message]}
    assert message in response.content.decode()

    person.refresh_from_db()
    assert (person.phone.as_e164, person.email, person.snils, person.last_name) == (
        OLD_PHONE,
        OLD_EMAIL,
        OLD_SNILS,
        "Иванова",
    )
    assert not AuditEvent.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("persona", ["reviewer", "support"])
def test_staff_who_only_view_accounts_change_nothing(persona, request, person, django_capture_on_commit_callbacks):
    client = verified_staff_client(request.getfixturevalue(persona))
    response = post_change(
        client, person, django_capture_on_commit_callbacks, phone=NEW_PHONE, email="new@example.ru", snils=NEW_SNILS
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert (person.phone.as_e164, person.email, person.snils) == (OLD_PHONE, OLD_EMAIL, OLD_SNILS)
    assert not AuditEvent.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_value_taken_between_the_form_and_the_save_is_refused_and_nothing_is_kept(
    editor, person, monkeypatch, django_capture_on_commit_callbacks
):
    """The form's check passed, then another account took the number: the service refuses under its
    lock, the admin's transaction rolls back (the other fields too) and the page says why."""
    from accounts.staff import forms as staff_forms

    monkeypatch.setattr(staff_forms, "contact_taken_check", lambda **kwargs: None)
    CitizenFactory(phone=NEW_PHONE)
    response = post_change(
        verified_staff_client(editor), person, django_capture_on_commit_callbacks, phone=NEW_PHONE, last_name="Петрова"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_change", args=[person.pk])
    person.refresh_from_db()
    assert (person.phone.as_e164, person.last_name) == (OLD_PHONE, "Иванова")
    assert not AuditEvent.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_the_citizens_own_change_still_audits_the_citizen_as_actor(person, django_capture_on_commit_callbacks):
    """The shared contact_change_finish: without staff, no «source» and the citizen's own wording."""
    from accounts.contact.services import _phone_replace

    confirmation = ContactConfirmation.objects.create(
        user=person,
        channel=ContactConfirmation.Channel.PHONE,
        purpose=ContactConfirmation.Purpose.CONTACT_CHANGE,
        target=NEW_PHONE,
        expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        _phone_replace(user=person, confirmation=confirmation, now=timezone.now(), request=None)
    audit = AuditEvent.objects.get(kind=AuditEventKind.CONTACT_CHANGED)
    assert (audit.actor, audit.details.get("source")) == (person, None)
    assert OutboundMessage.objects.get(event="contact_changed").body.startswith(
        "Номер телефона в вашей учётной записи на портале ОМС изменён на +7 *** ***-**-77."
    )
    assert not OutboundMessage.objects.filter(event="contact_set_by_staff").exists()


def _hotline() -> str:
    from django.conf import settings

    return settings.HOTLINE_PHONE


def test_a_new_account_is_still_made_with_its_email(admin, django_capture_on_commit_callbacks):
    """The add form keeps the e-mail: only the change form leaves it to the service."""
    client = verified_staff_client(admin)
    assert 'name="email"' in client.get(reverse("admin:accounts_user_add")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_add"), {"email": "New.Staff@oms.localhost", "usable_password": "false"}
        )
    assert response.status_code == 302
    assert User.objects.filter(email="new.staff@oms.localhost").exists()


# --- change_user does not grant power --------------------------------------------------------------


def test_an_account_keeper_cannot_make_a_superuser_or_grant_permissions(
    editor, person, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    client = verified_staff_client(editor)
    everything = list(Permission.objects.values_list("pk", flat=True))
    reviewers = Group.objects.get(name="reviewers")
    # Someone else's account: roles (groups) yes, superuser and single permissions no.
    response = post_change(
        client,
        person,
        django_capture_on_commit_callbacks,
        is_superuser="on",
        user_permissions=everything,
        groups=[reviewers.pk],
        is_staff="on",
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_superuser is False
    assert person.user_permissions.count() == 0
    assert list(person.groups.values_list("name", flat=True)) == ["reviewers"]
    # Their own account: no superuser, no extra permissions, no new roles, staff status kept.
    own = {**form_data(editor), "is_superuser": "on", "user_permissions": everything, "groups": [reviewers.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:accounts_user_change", args=[editor.pk]), own)
    editor.refresh_from_db()
    assert (editor.is_superuser, editor.is_staff) == (False, True)
    assert set(editor.user_permissions.values_list("codename", flat=True)) == {"view_user", "change_user"}
    assert editor.groups.count() == 0


def test_a_superuser_still_grants_both(person, django_capture_on_commit_callbacks):
    from accounts.tests.factories import StaffFactory as _Staff

    chief = _Staff(is_superuser=True)
    client = verified_staff_client(chief)
    permission = Permission.objects.get(codename="view_user")
    response = post_change(
        client,
        person,
        django_capture_on_commit_callbacks,
        is_superuser="on",
        is_staff="on",
        user_permissions=[permission.pk],
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_superuser is True
    assert list(person.user_permissions.values_list("codename", flat=True)) == ["view_user"]
