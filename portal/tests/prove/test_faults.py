"""Faults against the real services: 50 reviewer decisions at once on one request (PostgreSQL, each
thread its own connection), and an SMS gateway that answers errors and hangs."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from accounts.constants import StaffGroup
from accounts.tests.admin_helpers import verified_staff_client
from accounts.tests.factories import StaffFactory
from accounts.tests.login_support import clock  # noqa: F401 - the movable clock fixture
from notifications.constants import MAX_ATTEMPTS, Channel, DeliveryStatus
from notifications.models import OutboundMessage
from notifications.tests.test_sms_gateway import Gateway
from oms_policy.constants import DocumentSlot, RequestStatus
from oms_policy.models import PolicyRequest, RejectionReason, StatusChange
from oms_policy.review_services import (
    documents_default_due_on,
    policy_request_approve,
    policy_request_claim,
    policy_request_documents_request,
    policy_request_reject,
)
from oms_policy.services import TransitionRefused
from oms_policy.tests.review_helpers import submitted_request

DECISIONS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_decisions_on_one_request_exactly_one_wins(postgres, settings):
    reviewer = StaffFactory(groups=[StaffGroup.REVIEWERS])
    request = policy_request_claim(request_id=submitted_request().pk, reviewer=reviewer)
    seen_at = PolicyRequest.objects.get(pk=request.pk).updated_at  # 50 tabs opened on this version
    reason = RejectionReason.objects.filter(is_active=True).first()
    barrier = threading.Barrier(DECISIONS)
    outcomes: list[str] = []
    backends: set[int] = set()
    lock = threading.Lock()

    def decide(index: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            barrier.wait(timeout=60)
            kind = ("approve", "reject", "documents")[index % 3]
            try:
                if kind == "approve":
                    policy_request_approve(request_id=request.pk, reviewer=reviewer, expected_updated_at=seen_at)
                elif kind == "reject":
                    policy_request_reject(
                        request_id=request.pk, reviewer=reviewer, reason_ids=[reason.pk], expected_updated_at=seen_at
                    )
                else:
                    policy_request_documents_request(
                        request_id=request.pk,
                        reviewer=reviewer,
                        slots=[DocumentSlot.PASSPORT_PHOTO],
                        note="Пересните",
                        due_on=documents_default_due_on(),
                        expected_updated_at=seen_at,
                    )
                outcome = f"won:{kind}"
            except TransitionRefused as refused:
                outcome = f"refused:{refused.code}"
            with lock:
                outcomes.append(outcome)
                backends.add(pid)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(index,)) for index in range(DECISIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(backends) == DECISIONS  # really 50 connections to PostgreSQL
    winners = [outcome for outcome in outcomes if outcome.startswith("won:")]
    assert len(outcomes) == DECISIONS and len(winners) == 1, sorted(set(outcomes))
    request.refresh_from_db()
    decided = {
        "won:approve": {RequestStatus.APPROVED, RequestStatus.POLICY_ISSUED},
        "won:reject": {RequestStatus.REJECTED},
        "won:documents": {RequestStatus.DOCUMENTS_REQUESTED},
    }[winners[0]]
    assert request.status in decided
    decisions = StatusChange.objects.filter(request=request).exclude(
        new_status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.POLICY_ISSUED]
    )
    assert decisions.count() == 1


@pytest.fixture
def failing_gateway(settings):
    gateway = Gateway()
    settings.SMS_BACKEND = "notifications.backends.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_TOKEN = "test-token"
    settings.SMS_HTTP_TIMEOUT = 1
    settings.SMS_HTTP_ALLOW_INSECURE_LOCALHOST = True
    yield gateway
    gateway.close()


@pytest.mark.django_db
def test_sms_gateway_errors_and_hangs_retry_then_not_delivered_and_nothing_breaks(
    failing_gateway,
    clock,  # noqa: F811
    django_capture_on_commit_callbacks,
    settings,
):
    from notifications.tasks import outbound_deliver_pending_task

    reviewer = StaffFactory(groups=[StaffGroup.REVIEWERS])
    request = submitted_request()
    failing_gateway.status = 500
    staff = verified_staff_client(reviewer)

    # The reviewer's click works although the gateway fails: the SMS is a row, sent after commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:oms_policy_policyrequest_claim", args=[request.pk]),
            {"expected_updated_at": PolicyRequest.objects.get(pk=request.pk).updated_at.isoformat()},
        )
    assert response.status_code == 302
    assert PolicyRequest.objects.get(pk=request.pk).status == RequestStatus.IN_REVIEW
    sms = OutboundMessage.objects.get(user=request.applicant, channel=Channel.SMS, event="request_in_review")
    assert (sms.status, sms.attempts) == (DeliveryStatus.PENDING, 1)
    assert "500" in sms.last_error

    # Then the gateway hangs: each try gives up after the time-out; the sweep retries with backoff.
    failing_gateway.status, failing_gateway.delay = 200, 3
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.advance(minutes=2 ** (attempt - 1) + 1)
        started = time.monotonic()
        outbound_deliver_pending_task.apply()
        assert time.monotonic() - started < 2.9  # the time-out, not the gateway, decides
        sms.refresh_from_db()
        assert sms.attempts == attempt
    assert sms.status == DeliveryStatus.FAILED
    assert sms.get_status_display() == "Не доставлено"
    assert len(failing_gateway.requests) == MAX_ATTEMPTS

    # More sweeps change nothing; support sees «Не доставлено» in the admin.
    clock.advance(hours=1)
    outbound_deliver_pending_task.apply()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    operator = verified_staff_client(StaffFactory(groups=[StaffGroup.SUPPORT]))
    page = operator.get(reverse("admin:notifications_outboundmessage_changelist") + "?status=failed")
    assert page.status_code == 200
    assert "Не доставлено" in page.content.decode()
