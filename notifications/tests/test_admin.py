"""Staff see a citizen's messages and their delivery state, and resend a failed one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.admin_helpers import verified_staff_client
from notifications.constants import Channel, DeliveryStatus
from notifications.models import Notification, OutboundMessage

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:notifications_outboundmessage_changelist"


def _message(citizen, *, key, status=DeliveryStatus.FAILED, channel=Channel.SMS, sensitive=False, body="Текст"):
    return OutboundMessage.objects.create(
        channel=channel,
        event="request_approved",
        recipient=citizen.phone.as_e164 if channel == Channel.SMS else citizen.email,
        user=citizen,
        subject="Тема",
        body=body,
        dedupe_key=key,
        status=status,
        attempts=5 if status == DeliveryStatus.FAILED else 1,
        last_error="gateway answered 503" if status == DeliveryStatus.FAILED else "",
        is_sensitive=sensitive,
    )


def test_support_sees_a_citizens_messages_with_their_state(
    support, citizen, other_citizen, django_assert_max_num_queries
):
    for index in range(5):
        _message(citizen, key=f"c{index}")
    _message(other_citizen, key="other", status=DeliveryStatus.SENT)
    client = verified_staff_client(support)
    with django_assert_max_num_queries(16):
        response = client.get(reverse(CHANGELIST), {"q": citizen.email})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 5
    content = response.content.decode()
    assert "Не доставлено" in content
    assert "gateway answered 503" in content
    assert "Отправить повторно" in content
    Notification.objects.create(recipient=citizen, event="request_approved", title="Заявка одобрена", body="…")
    response = client.get(reverse("admin:notifications_notification_changelist"), {"q": citizen.email})
    assert response.context["cl"].result_count == 1


def test_a_code_is_never_shown_to_staff(support, citizen):
    message = _message(citizen, key="code", sensitive=True, body="Код входа: 123456")
    client = verified_staff_client(support)
    content = client.get(reverse("admin:notifications_outboundmessage_change", args=[message.pk])).content.decode()
    assert "123456" not in content
    assert "[скрыто: одноразовый код]" in content


def test_reviewers_do_not_read_messages(reviewer):
    client = verified_staff_client(reviewer)
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_resend_puts_a_failed_message_back_and_it_is_delivered_once(
    support, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    failed = _message(citizen, key="failed")
    sent = _message(citizen, key="sent", status=DeliveryStatus.SENT)
    code = _message(citizen, key="code", sensitive=True)
    client = verified_staff_client(support)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST),
            {"action": "resend", "_selected_action": [failed.pk, sent.pk, code.pk]},
            follow=True,
        )
    texts = [str(message) for message in response.context["messages"]]
    assert texts == [
        f"#{sent.pk}: Повторно отправляются только недоставленные сообщения.",
        f"#{code.pk}: Сообщение с одноразовым кодом не отправляется повторно: пусть человек запросит новый код.",
        "1 сообщение поставлено в очередь на отправку.",
    ]
    failed.refresh_from_db()
    code.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.SENT, 1)
    assert code.status == DeliveryStatus.FAILED
    assert sms_outbox == [{"to": citizen.phone.as_e164, "text": "Текст"}]


def test_support_cannot_change_or_delete_messages(support, citizen):
    message = _message(citizen, key="x")
    client = verified_staff_client(support)
    response = client.post(reverse("admin:notifications_outboundmessage_change", args=[message.pk]), {"body": "y"})
    assert response.status_code == 403
    assert client.post(reverse("admin:notifications_outboundmessage_delete", args=[message.pk])).status_code == 403
    message.refresh_from_db()
    assert message.body == "Текст"
