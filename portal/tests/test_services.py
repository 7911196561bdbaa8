"""The portal's real services: a Celery worker on Redis, PostgreSQL, and Chromium."""

import json
import time

import pytest
from django.core.cache import cache

from notifications.constants import DeliveryStatus
from notifications.models import OutboundMessage
from notifications.services import notify
from portal.services import HEARTBEAT_CACHE_KEY
from portal.tasks import heartbeat_task


@pytest.mark.worker
def test_heartbeat_runs_in_a_real_worker(celery_worker):
    result = heartbeat_task.delay()
    recorded_at = result.get(timeout=60)
    # The worker, another process, wrote the heartbeat into the shared Redis cache.
    assert cache.get(HEARTBEAT_CACHE_KEY)["at"] == recorded_at


@pytest.mark.worker
def test_sms_is_delivered_by_a_real_worker_after_commit(celery_worker, citizen):
    messages = notify(
        user=citizen,
        event="demo_ping",
        context={"code_hint": "проверка"},
        dedupe_key=f"worker-test-{citizen.pk}",
        email=False,
    )
    assert len(messages) == 1
    message = messages[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status != DeliveryStatus.PENDING:
            break
        time.sleep(0.2)
    assert message.status == DeliveryStatus.SENT
    assert message.attempts == 1
    files = list((celery_worker / "sms").glob("*.json"))
    assert len(files) == 1
    record = json.loads(files[0].read_text(encoding="utf-8"))
    assert record["to"] == citizen.phone.as_e164
    assert "Портал ОМС" in record["text"]
    assert OutboundMessage.objects.filter(event="demo_ping").count() == 1


@pytest.mark.postgres
def test_runs_on_postgresql_with_partial_unique_constraint(postgres, citizen):
    from django.db import IntegrityError, transaction

    from oms_policy.constants import PolicyStatus
    from oms_policy.tests.factories import PolicyFactory

    assert postgres.vendor == "postgresql"
    PolicyFactory(holder=citizen)
    # The partial unique index (one active policy per holder) is enforced by the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyFactory(holder=citizen, enp="2847040848000286")
    PolicyFactory(holder=citizen, enp="2847040848000286", status=PolicyStatus.REPLACED)
    assert citizen.policies.count() == 2


@pytest.mark.browser
def test_home_page_in_headless_chromium(page):
    page.goto(page.live_server_url + "/")
    assert page.title().startswith("Полис ОМС онлайн")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("heading", level=1).inner_text() == "Обновить полис ОМС онлайн"
