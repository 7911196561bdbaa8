"""Redis stopped while citizens send their requests through the form: every request is saved with
its number, every outbox row is written, each citizen sees the number at once; once Redis is back a
real Celery worker delivers every message exactly once.

Runs its OWN redis-server (notifications/tests/test_redis_outage.py's fixtures), never the shared one.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client

from accounts.tests.factories import CitizenFactory
from notifications.constants import DeliveryStatus
from notifications.models import Notification, OutboundMessage
from notifications.services import outbound_deliver_pending
from notifications.tasks import outbound_deliver_pending_task
from notifications.tests.test_redis_outage import _files, own_redis, worker_on_own_redis  # noqa: F401
from oms_policy.constants import RequestStatus
from oms_policy.models import PolicyRequest
from oms_policy.tests.factories import PolicyRequestFactory
from oms_policy.tests.journey_support import documents_fill

pytestmark = [pytest.mark.redis, pytest.mark.worker]

CITIZENS = 3


def test_requests_sent_while_redis_is_down_are_kept_and_their_news_delivered_once(
    own_redis,  # noqa: F811
    worker_on_own_redis,  # noqa: F811
    caplog,
):
    outbox, wait_until_answering, wait_until_idle = worker_on_own_redis
    people = []
    for index in range(CITIZENS):
        citizen = CitizenFactory(email=f"outage{index}@example.ru", phone=f"+7916555000{index}")
        draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
        documents_fill(request=draft)
        client = Client()
        client.force_login(citizen)
        people.append((citizen, draft, client))

    own_redis.stop()
    with caplog.at_level("ERROR", logger="common.tasking"):
        for _citizen, draft, client in people:
            started = time.monotonic()
            response = client.post(f"/requests/{draft.pk}/submit/", {"submit_key": f"outage-{draft.pk}"})
            # The citizen is not kept waiting by the dead broker and lands on the page with the number.
            assert time.monotonic() - started < 30
            assert response.status_code == 302
            page = client.get(response["Location"]).content.decode()
            draft.refresh_from_db()
            assert draft.status == RequestStatus.SUBMITTED and draft.number
            assert "Заявка отправлена" in page and draft.number_display in page

    users = [citizen for citizen, _draft, _client in people]
    assert PolicyRequest.objects.filter(applicant__in=users, status=RequestStatus.SUBMITTED).count() == CITIZENS
    assert Notification.objects.filter(recipient__in=users, event="request_submitted").count() == CITIZENS
    rows = OutboundMessage.objects.filter(user__in=users)
    assert rows.count() == 2 * CITIZENS
    assert set(rows.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}
    assert caplog.text.count("left for the periodic sweep") >= 2 * CITIZENS
    assert _files(outbox, "sms") == [] and _files(outbox, "email") == []

    own_redis.start()
    wait_until_answering(120)
    # Beat's sweep, published twice (two overlapping runs): still one delivery per message.
    outbound_deliver_pending_task.delay()
    outbound_deliver_pending_task.delay()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and rows.filter(status=DeliveryStatus.SENT).count() < 2 * CITIZENS:
        time.sleep(0.25)
    assert set(rows.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    assert outbound_deliver_pending() == 0
    wait_until_idle(30)
    sms_to = sorted(item["to"] for item in _files(outbox, "sms"))
    emails_to = sorted(item["to"] for item in _files(outbox, "email"))
    assert sms_to == sorted(citizen.phone.as_e164 for citizen in users)
    assert emails_to == sorted(citizen.email for citizen in users)
