"""Review services: claim (and its race on PostgreSQL), release, the three decisions, stale and
already-decided requests refused with nothing changed, deadlines."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Notification
from oms_policy.constants import ActorRole, DocumentSlot, RequestStatus
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.review_models import DecisionReason, RejectionReason
from oms_policy.review_services import (
    policy_request_approve,
    policy_request_claim,
    policy_request_documents_request,
    policy_request_reject,
    policy_request_release,
    working_days_before,
)
from oms_policy.services import TransitionRefused, policy_request_transition
from oms_policy.tests.review_helpers import submitted_request


def _claimed(reviewer, **extra):
    request = submitted_request(**extra)
    return policy_request_claim(request_id=request.pk, reviewer=reviewer)


def _snapshot(request_id):
    row = PolicyRequest.objects.get(pk=request_id)
    return (
        row.status,
        row.reviewer_id,
        row.updated_at,
        row.rejection_text,
        StatusChange.objects.filter(request=row).count(),
    )


def test_claim_takes_the_request_and_the_citizen_sees_in_review(reviewer):
    request = submitted_request()
    claimed = policy_request_claim(request_id=request.pk, reviewer=reviewer, expected_updated_at=request.updated_at)
    claimed.refresh_from_db()
    assert (claimed.status, claimed.reviewer_id) == (RequestStatus.IN_REVIEW, reviewer.pk)
    assert claimed.claimed_at is not None
    change = StatusChange.objects.get(request=claimed)
    assert (change.old_status, change.new_status, change.actor, change.actor_role) == (
        RequestStatus.SUBMITTED,
        RequestStatus.IN_REVIEW,
        reviewer,
        ActorRole.REVIEWER,
    )
    assert (
        Notification.objects.filter(recipient=claimed.applicant, dedupe_key=f"request-status:{change.pk}").count() == 1
    )


def test_second_claim_is_refused_and_changes_nothing(reviewer, second_reviewer):
    request = _claimed(reviewer)
    before = _snapshot(request.pk)
    with pytest.raises(TransitionRefused) as refused:
        policy_request_claim(request_id=request.pk, reviewer=second_reviewer)
    assert refused.value.code == "taken"
    assert refused.value.message == "Заявку уже взял в работу другой проверяющий."
    assert _snapshot(request.pk) == before


def test_claim_race_two_connections_one_winner(transactional_db, postgres):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    first, second = StaffFactory(groups=[StaffGroup.REVIEWERS]), StaffFactory(groups=[StaffGroup.REVIEWERS])
    request = submitted_request()
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}
    backend_pids: dict[int, int] = {}

    def claim(reviewer):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend_pids[reviewer.pk] = cursor.fetchone()[0]
            barrier.wait(timeout=10)
            policy_request_claim(request_id=request.pk, reviewer=reviewer)
            outcomes[reviewer.pk] = "won"
        except TransitionRefused as error:
            outcomes[reviewer.pk] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(reviewer,)) for reviewer in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(set(backend_pids.values())) == 2  # two real PostgreSQL connections
    assert sorted(outcomes.values()) == ["taken", "won"]
    winner = next(pk for pk, outcome in outcomes.items() if outcome == "won")
    request.refresh_from_db()
    assert (request.status, request.reviewer_id) == (RequestStatus.IN_REVIEW, winner)
    assert StatusChange.objects.filter(request=request).count() == 1


def test_release_gives_the_request_back_to_the_queue(reviewer):
    request = _claimed(reviewer)
    policy_request_release(request_id=request.pk, reviewer=reviewer, expected_updated_at=request.updated_at)
    request.refresh_from_db()
    assert (request.status, request.reviewer_id, request.claimed_at) == (RequestStatus.SUBMITTED, None, None)


def test_only_the_holder_decides(reviewer, second_reviewer):
    request = _claimed(reviewer)
    before = _snapshot(request.pk)
    for decide in (
        lambda: policy_request_approve(request_id=request.pk, reviewer=second_reviewer),
        lambda: policy_request_release(request_id=request.pk, reviewer=second_reviewer),
        lambda: policy_request_reject(request_id=request.pk, reviewer=second_reviewer, reason_ids=[], text="нет"),
    ):
        with pytest.raises(TransitionRefused) as refused:
            decide()
        assert refused.value.code == "forbidden"
    assert _snapshot(request.pk) == before


def test_approve(reviewer):
    request = _claimed(reviewer)
    policy_request_approve(request_id=request.pk, reviewer=reviewer, expected_updated_at=request.updated_at)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.decided_at is not None


def test_decision_on_an_already_decided_request_is_refused(reviewer):
    request = _claimed(reviewer)
    policy_request_approve(request_id=request.pk, reviewer=reviewer)
    before = _snapshot(request.pk)
    with pytest.raises(TransitionRefused) as refused:
        policy_request_reject(request_id=request.pk, reviewer=reviewer, reason_ids=[], text="Поздно")
    assert refused.value.code == "not_allowed"
    assert refused.value.message == "Из статуса «Одобрена» заявку нельзя перевести в «Отклонена»."
    with pytest.raises(TransitionRefused):
        policy_request_approve(request_id=request.pk, reviewer=reviewer)
    assert _snapshot(request.pk) == before
    assert not DecisionReason.objects.exists()


def test_decision_from_a_page_opened_before_the_last_change_is_refused(reviewer):
    request = _claimed(reviewer)
    page_showed = request.updated_at
    policy_request_release(request_id=request.pk, reviewer=reviewer)
    policy_request_claim(request_id=request.pk, reviewer=reviewer)
    before = _snapshot(request.pk)
    with pytest.raises(TransitionRefused) as refused:
        policy_request_approve(request_id=request.pk, reviewer=reviewer, expected_updated_at=page_showed)
    assert refused.value.code == "stale"
    assert _snapshot(request.pk) == before


def test_reject_with_several_reasons_is_one_message(reviewer, django_capture_on_commit_callbacks):
    request = _claimed(reviewer)
    photo = RejectionReason.objects.get(code="passport-photo-unreadable")
    mismatch = RejectionReason.objects.get(code="data-mismatch-passport")
    notified_before = Notification.objects.filter(recipient=request.applicant).count()
    policy_request_reject(
        request_id=request.pk,
        reviewer=reviewer,
        reason_ids=[mismatch.pk, photo.pk],
        text="Пересните разворот при дневном свете.",
        expected_updated_at=request.updated_at,
    )
    request.refresh_from_db()
    expected = (
        "Скан страницы паспорта с фотографией нечитаем.\n"
        "Данные в заявке не совпадают с паспортом.\n"
        "Пересните разворот при дневном свете."
    )
    assert request.status == RequestStatus.REJECTED
    assert request.rejection_text == expected
    change = StatusChange.objects.get(request=request, new_status=RequestStatus.REJECTED)
    assert change.comment == expected
    assert list(DecisionReason.objects.filter(status_change=change).values_list("reason__code", "subject")) == [
        ("passport-photo-unreadable", "passport_photo"),
        ("data-mismatch-passport", "personal_data"),
    ]
    assert Notification.objects.filter(recipient=request.applicant).count() == notified_before + 1


def test_reject_without_any_reason_is_refused(reviewer):
    request = _claimed(reviewer)
    before = _snapshot(request.pk)
    with pytest.raises(TransitionRefused) as refused:
        policy_request_reject(request_id=request.pk, reviewer=reviewer, reason_ids=[], text="  ")
    assert refused.value.code == "no_reason"
    assert _snapshot(request.pk) == before


def test_request_documents_then_the_citizen_answers_and_it_comes_back(reviewer):
    request = _claimed(reviewer)
    due = timezone.localdate() + datetime.timedelta(days=14)
    policy_request_documents_request(
        request_id=request.pk,
        reviewer=reviewer,
        slots=[DocumentSlot.PASSPORT_REGISTRATION, "not-a-slot"],
        note="Нужна страница с текущей регистрацией.",
        due_on=due,
        expected_updated_at=request.updated_at,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.DOCUMENTS_REQUESTED
    assert request.requested_slots == ["passport_registration"]
    assert request.requested_note == "Нужна страница с текущей регистрацией."
    assert request.documents_due_on == due
    change = StatusChange.objects.get(request=request, new_status=RequestStatus.DOCUMENTS_REQUESTED)
    assert change.comment == (
        "Нужны документы: Паспорт: страница с регистрацией.\n"
        "Нужна страница с текущей регистрацией.\n"
        f"Срок: до {due:%d.%m.%Y}."
    )
    policy_request_transition(
        request_id=request.pk, new_status=RequestStatus.IN_REVIEW, actor=request.applicant, role=ActorRole.CITIZEN
    )
    policy_request_approve(request_id=request.pk, reviewer=reviewer)
    request.refresh_from_db()
    assert (request.status, request.reviewer_id) == (RequestStatus.APPROVED, reviewer.pk)


def test_request_documents_needs_a_future_deadline(reviewer):
    request = _claimed(reviewer)
    with pytest.raises(TransitionRefused) as refused:
        policy_request_documents_request(
            request_id=request.pk, reviewer=reviewer, slots=["passport_photo"], note="x", due_on=timezone.localdate()
        )
    assert refused.value.code == "bad_due"
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 12, 1), datetime.date(2026, 11, 24)),  # Tuesday → the Tuesday before
        (datetime.date(2026, 11, 30), datetime.date(2026, 11, 23)),  # Monday → the Monday before
        (datetime.date(2026, 12, 5), datetime.date(2026, 11, 30)),  # Saturday → Fri, Thu, Wed, Tue, Mon
        # The New Year days off (31 Dec 2025 – 11 Jan 2026) and the May holidays are not working days.
        (datetime.date(2026, 1, 14), datetime.date(2025, 12, 26)),
        (datetime.date(2026, 5, 14), datetime.date(2026, 5, 6)),
    ],
)
def test_working_days_skip_weekends_and_holidays(today, expected):
    assert working_days_before(day=today, count=5) == expected


def test_support_and_administrators_cannot_claim(support, administrator):
    request = submitted_request()
    for person in (support, administrator):
        with pytest.raises(TransitionRefused) as refused:
            policy_request_claim(request_id=request.pk, reviewer=person)
        assert refused.value.code == "forbidden"
    request.refresh_from_db()
    assert (request.status, request.reviewer_id) == (RequestStatus.SUBMITTED, None)
