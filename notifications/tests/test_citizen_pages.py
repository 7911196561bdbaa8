"""The language switch remembered on the account, the bell, and the notification settings page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.language.services import user_language_from_request
from notifications.models import Notification, NotificationPreference, OutboundMessage
from notifications.services import notify
from oms_policy.constants import ActorRole, RequestStatus
from oms_policy.services import policy_request_transition
from oms_policy.tests.factories import PolicyRequestFactory

pytestmark = pytest.mark.django_db


# --- the language of messages ----------------------------------------------------------------------------


def test_switching_the_language_is_remembered_for_messages(client, citizen):
    client.force_login(citizen)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/cabinet/"})
    assert (response.status_code, response["Location"]) == (302, "/cabinet/")
    assert response.cookies["django_language"].value == "en"
    citizen.refresh_from_db()
    assert citizen.language == "en"
    client.post(reverse("set_language"), {"language": "ru", "next": "/cabinet/"})
    citizen.refresh_from_db()
    assert citizen.language == "ru"


def test_an_unknown_language_changes_nothing(client, citizen):
    client.force_login(citizen)
    client.post(reverse("set_language"), {"language": "de", "next": "/cabinet/"})
    citizen.refresh_from_db()
    assert citizen.language == "ru"


def test_anonymous_switch_still_works_and_stores_nothing(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


def test_registration_takes_the_language_of_the_pages():
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "en"
    assert user_language_from_request(request=request) == "en"
    request.LANGUAGE_CODE = "de"
    assert user_language_from_request(request=request) == "ru"


def test_security_messages_follow_the_recipients_language_too(en_citizen, django_capture_on_commit_callbacks):
    # The active language is Russian (a verifier's admin page): the citizen reads English.
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=en_citizen, event="identity_confirmed", dedupe_key="t:identity", sms=False)
    assert [message.subject for message in mail.outbox] == ["Identity confirmed — OMS Portal"]
    assert Notification.objects.get(recipient=en_citizen).title == "Identity confirmed"


# --- preferences -------------------------------------------------------------------------------------------


def test_settings_page_needs_a_login(client):
    url = reverse("notifications:preferences")
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"{reverse('accounts:login')}?next={url}")


def test_settings_page_shows_every_request_event_on_by_default(client, citizen):
    client.force_login(citizen)
    content = client.get(reverse("notifications:preferences")).content.decode()
    assert content.count('type="checkbox"') == 20
    assert content.count(" checked>") == 20
    assert "Заявка отклонена" in content
    assert "их отключить нельзя" in content
    assert "Сообщения приходят на языке: Русский." in content


def test_saving_choices_changes_the_channels_of_request_events_only(
    client, citizen, reviewer, sms_outbox, django_capture_on_commit_callbacks
):
    client.force_login(citizen)
    response = client.post(
        reverse("notifications:preferences"),
        {
            "request_in_review:email": "on",
            "request_rejected:sms": "on",
            # Not a request event: ignored, security messages cannot be turned off.
            "login_code:sms": "",
        },
    )
    assert response.status_code == 302
    stored = dict(
        NotificationPreference.objects.filter(user=citizen).values_list("event", "email_enabled").order_by("event")
    )
    assert len(stored) == 10 and stored["request_in_review"] is True and stored["request_rejected"] is False
    assert not NotificationPreference.objects.filter(event="login_code").exists()
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert page.count(" checked>") == 2

    request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.SUBMITTED, number="12345678903")
    with django_capture_on_commit_callbacks(execute=True):
        policy_request_transition(
            request_id=request.pk,
            new_status=RequestStatus.IN_REVIEW,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            changes={"reviewer": reviewer},
        )
        policy_request_transition(
            request_id=request.pk,
            new_status=RequestStatus.REJECTED,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            changes={"rejection_text": "Нет подписи."},
        )
    # The inbox gets both; e-mail only for «на проверке», SMS only for «отклонена».
    assert list(
        Notification.objects.filter(recipient=citizen).order_by("created_at").values_list("event", flat=True)
    ) == [
        "request_in_review",
        "request_rejected",
    ]
    assert sorted(OutboundMessage.objects.values_list("event", "channel")) == [
        ("request_in_review", "email"),
        ("request_rejected", "sms"),
    ]
    assert [message.subject for message in mail.outbox] == ["Заявка 123-456-789-03 на проверке — Портал ОМС"]
    assert [item["text"] for item in sms_outbox] == ["Портал ОМС: заявка 123-456-789-03 отклонена, причины в кабинете"]


def test_a_stored_choice_cannot_silence_a_security_message(citizen, django_capture_on_commit_callbacks):
    # Even a row written past the service (a bad import, a hand edit) does not stop security messages.
    NotificationPreference.objects.create(
        user=citizen, event="new_device_login", email_enabled=False, sms_enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        messages = notify(
            user=citizen,
            event="new_device_login",
            context={"when": timezone.now(), "browser": "Firefox", "not_me_url": "http://x/"},
            dedupe_key="t:device",
        )
    assert sorted(message.channel for message in messages) == ["email", "sms"]


# --- the bell ----------------------------------------------------------------------------------------------


@pytest.fixture
def two_notifications(citizen):
    first = Notification.objects.create(
        recipient=citizen,
        event="request_submitted",
        title="Заявка 123-456-789-03 подана",
        body="…",
        link="/requests/7/",
    )
    second = Notification.objects.create(
        recipient=citizen, event="request_in_review", title="Заявка 123-456-789-03 на проверке", body="…"
    )
    return first, second


def test_the_bell_lists_recent_messages_with_actions(client, citizen, two_notifications, django_assert_max_num_queries):
    """The page carries the bell's count and links; the messages come from notifications:bell when
    the bell is opened (static/js/bell.js), with the page's address to come back to."""
    first, second = two_notifications
    client.force_login(citizen)
    with django_assert_max_num_queries(12):
        content = client.get(reverse("cabinet")).content.decode()
    assert "Уведомления: 2 непрочитанных" in content
    assert '<span class="badge" aria-hidden="true">2</span>' in content
    assert reverse("notifications:mark-all-read") in content
    assert reverse("notifications:preferences") in content
    assert '<li class="bell-item' not in content and "Заявка 123-456-789-03" not in content  # not drawn into the page
    assert f'data-url="{reverse("notifications:bell")}?next=/cabinet/"' in content
    panel = client.get(reverse("notifications:bell"), {"next": "/cabinet/"})
    assert panel.status_code == 200
    assert "no-cache" in panel["Cache-Control"] or "no-store" in panel["Cache-Control"]
    html = panel.content.decode()
    assert f'<a href="{reverse("notifications:open", args=[first.pk])}">' in html
    assert "Заявка 123-456-789-03 на проверке" in html
    assert reverse("notifications:mark-read", args=[second.pk]) in html
    assert '<input type="hidden" name="next" value="/cabinet/">' in html


def test_the_bell_panel_is_the_owners_and_comes_back_only_to_this_site(client, other_citizen, two_notifications):
    assert client.get(reverse("notifications:bell"))["Location"].startswith("/accounts/login/")
    client.force_login(other_citizen)
    html = client.get(reverse("notifications:bell"), {"next": "https://evil.example/"}).content.decode()
    assert "Заявка 123-456-789-03" not in html
    assert "Уведомлений пока нет." in html
    Notification.objects.create(recipient=other_citizen, event="demo_ping", title="Своё", body="…")
    html = client.get(reverse("notifications:bell"), {"next": "https://evil.example/"}).content.decode()
    assert "Своё" in html
    assert "evil.example" not in html
    assert f'<input type="hidden" name="next" value="{reverse("notifications:inbox")}">' in html


def test_opening_a_message_marks_it_read_and_goes_to_the_request(client, citizen, two_notifications):
    first, second = two_notifications
    client.force_login(citizen)
    response = client.get(reverse("notifications:open", args=[first.pk]))
    assert (response.status_code, response["Location"]) == (302, "/requests/7/")
    first.refresh_from_db()
    assert first.read_at is not None
    # Without a link: the inbox.
    response = client.get(reverse("notifications:open", args=[second.pk]))
    assert response["Location"] == reverse("notifications:inbox")


def test_another_citizen_cannot_open_or_mark_a_message(client, other_citizen, two_notifications):
    first, _ = two_notifications
    client.force_login(other_citizen)
    assert client.get(reverse("notifications:open", args=[first.pk])).status_code == 404
    assert client.post(reverse("notifications:mark-read", args=[first.pk])).status_code == 404
    client.post(reverse("notifications:mark-all-read"))
    first.refresh_from_db()
    assert first.read_at is None


def test_anonymous_is_sent_to_login_by_the_bell_actions(client, two_notifications):
    first, _ = two_notifications
    for url in (reverse("notifications:open", args=[first.pk]), reverse("notifications:mark-all-read")):
        response = client.post(url) if "read-all" in url else client.get(url)
        assert response["Location"].startswith(reverse("accounts:login"))


def test_mark_all_read_returns_to_the_page_and_clears_the_count(client, citizen, two_notifications):
    client.force_login(citizen)
    assert client.get(reverse("notifications:mark-all-read")).status_code == 405
    response = client.post(reverse("notifications:mark-all-read"), {"next": "/cabinet/"})
    assert response["Location"] == "/cabinet/"
    assert not Notification.objects.filter(recipient=citizen, read_at=None).exists()
    content = client.get(reverse("cabinet")).content.decode()
    assert "Уведомления: 0 непрочитанных" in content
    assert reverse("notifications:mark-all-read") not in content


def test_mark_read_never_redirects_off_site(client, citizen, two_notifications):
    first, _ = two_notifications
    client.force_login(citizen)
    response = client.post(reverse("notifications:mark-read", args=[first.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:inbox")


def test_the_bell_counts_unread_beyond_its_list_one_query_each(client, citizen, django_assert_num_queries):
    """Eight messages: the three oldest unread, the five newest read. The bell lists the five newest
    and still counts the three unread; every page needs only the count (one query), the list is read
    only when the bell is opened (one more)."""
    from notifications.selectors import notification_bell

    now = timezone.now()
    for n in range(8):
        row = Notification.objects.create(
            recipient=citizen, event="request_in_review", title=f"Сообщение {n}", body="…"
        )
        Notification.objects.filter(pk=row.pk).update(
            created_at=now - timezone.timedelta(minutes=10 - n), read_at=None if n < 3 else now
        )
    bell = notification_bell(user=citizen)
    with django_assert_num_queries(1):
        assert bell.unread == 3
        assert bell.unread == 3
    with django_assert_num_queries(1):
        assert [item.title for item in bell.recent] == [f"Сообщение {n}" for n in (7, 6, 5, 4, 3)]
        assert len(bell.recent) == 5
    client.force_login(citizen)
    content = client.get(reverse("cabinet")).content.decode()
    assert "Уведомления: 3 непрочитанных" in content
    assert '<span class="badge" aria-hidden="true">3</span>' in content


def test_a_page_without_the_bell_does_not_query_it(db):
    """The admin renders with the portal's context processor but shows no bell: no inbox query."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.constants import StaffGroup
    from accounts.tests.admin_helpers import verified_staff_client
    from accounts.tests.factories import StaffFactory

    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=StaffGroup.SUPPORT))
    client = verified_staff_client(staff)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:index")).status_code == 200
    assert queries.captured_queries
    assert not [q for q in queries.captured_queries if "notifications_notification" in q["sql"]]


def test_the_inbox_shows_twenty_a_page_and_reaches_the_oldest(client, citizen):
    """45 messages: pages of 20, newest first; the oldest is on page 3 (the inbox showed the newest 50
    and had no way to older ones)."""
    from notifications.views import INBOX_PAGE_SIZE

    now = timezone.now()
    for n in range(45):
        row = Notification.objects.create(recipient=citizen, event="request_in_review", title=f"Сообщение {n:02}")
        Notification.objects.filter(pk=row.pk).update(created_at=now - timezone.timedelta(minutes=n))
    client.force_login(citizen)
    first = client.get(reverse("notifications:inbox")).content.decode()
    assert INBOX_PAGE_SIZE == 20
    assert first.count('class="card notification') == 20
    assert "Сообщение 00" in first and "Сообщение 19" in first and "Сообщение 20" not in first
    assert 'aria-label="Страницы уведомлений"' in first and "Страница 1 из 3" in first
    assert 'href="?page=2" rel="next"' in first
    last = client.get(reverse("notifications:inbox"), {"page": 3}).content.decode()
    assert last.count('class="card notification') == 5 and "Сообщение 44" in last
    assert 'href="?page=2" rel="prev"' in last and 'rel="next"' not in last
    # A page number out of range or not a number shows a real page, not an error.
    assert client.get(reverse("notifications:inbox"), {"page": "999"}).status_code == 200
    assert "Сообщение 00" in client.get(reverse("notifications:inbox"), {"page": "x"}).content.decode()
