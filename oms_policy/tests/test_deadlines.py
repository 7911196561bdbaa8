"""Documents deadlines: reminders 3 days and 1 day before, «Просрочена» after; beat tasks safe to repeat."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from notifications.models import Notification, OutboundMessage
from notifications.services import notification_preferences_save
from oms_policy.constants import ActorRole, DocumentSlot, RequestStatus
from oms_policy.deadline_services import policy_request_deadlines_expire, policy_request_reminders_send
from oms_policy.models import StatusChange
from oms_policy.services import policy_request_transition
from oms_policy.tasks import policy_request_deadlines_expire_task, policy_request_reminders_send_task
from oms_policy.tests.factories import PolicyRequestFactory

S = RequestStatus


def _ask_documents(*, citizen, reviewer, days: int, number: str = "12345678903"):
    """A request whose documents were asked for today, due `days` days from today."""
    request = PolicyRequestFactory(applicant=citizen, status=S.IN_REVIEW, reviewer=reviewer, number=number)
    policy_request_transition(
        request_id=request.pk,
        new_status=S.DOCUMENTS_REQUESTED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        changes={
            "requested_slots": [DocumentSlot.PASSPORT_PHOTO],
            "documents_due_on": timezone.localdate() + datetime.timedelta(days=days),
        },
    )
    request.refresh_from_db()
    return request


def _reminders(citizen):
    return list(
        Notification.objects.filter(recipient=citizen, event="request_documents_reminder")
        .order_by("created_at")
        .values_list("dedupe_key", flat=True)
    )


def test_reminders_three_days_and_one_day_before_each_once(
    citizen, reviewer, sms_outbox, django_capture_on_commit_callbacks
):
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=10)
    due = request.documents_due_on
    sms_outbox.clear()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # Nothing while the deadline is far.
        assert policy_request_reminders_send(today=due - datetime.timedelta(days=4)) == 0
        # Three days before: one reminder; running again (beat every hour) sends nothing more.
        assert policy_request_reminders_send(today=due - datetime.timedelta(days=3)) == 1
        assert policy_request_reminders_send(today=due - datetime.timedelta(days=3)) == 0
        assert policy_request_reminders_send(today=due - datetime.timedelta(days=2)) == 0
        # One day before, and on the last day: the second reminder, once.
        assert policy_request_reminders_send(today=due - datetime.timedelta(days=1)) == 1
        assert policy_request_reminders_send(today=due) == 0
    assert _reminders(citizen) == [
        f"request-reminder:{request.pk}:{due.isoformat()}:3",
        f"request-reminder:{request.pk}:{due.isoformat()}:1",
    ]
    due_text = due.strftime("%d.%m.%Y")
    assert [item["text"] for item in sms_outbox] == [
        f"Портал ОМС: документы по заявке 123-456-789-03 нужны до {due_text}"
    ] * 2
    assert [message.subject for message in mail.outbox] == [
        f"Напоминание: документы по заявке 123-456-789-03 нужны до {due_text} — Портал ОМС"
    ] * 2
    assert "— Паспорт: страница с фотографией" in mail.outbox[0].body
    assert OutboundMessage.objects.filter(event="request_documents_reminder").count() == 4


def test_a_beat_run_missed_on_the_day_still_reminds(citizen, reviewer):
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=10)
    assert policy_request_reminders_send(today=request.documents_due_on - datetime.timedelta(days=2)) == 1
    assert _reminders(citizen)[0].endswith(":3")


def test_no_reminder_when_the_documents_were_asked_for_that_close_to_the_deadline(citizen, reviewer):
    # Asked today with three days to go: the request itself carried the date; a reminder at once is noise.
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=3)
    today = timezone.localdate()
    assert policy_request_reminders_send(today=today) == 0
    # The one-day reminder still comes.
    assert policy_request_reminders_send(today=request.documents_due_on - datetime.timedelta(days=1)) == 1
    assert _reminders(citizen) == [f"request-reminder:{request.pk}:{request.documents_due_on.isoformat()}:1"]


def test_a_new_deadline_gets_its_own_reminders(citizen, reviewer):
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=10)
    first_due = request.documents_due_on
    assert policy_request_reminders_send(today=first_due - datetime.timedelta(days=3)) == 1
    # The citizen sends documents, the reviewer asks again with a later deadline.
    policy_request_transition(request_id=request.pk, new_status=S.IN_REVIEW, actor=citizen, role=ActorRole.CITIZEN)
    policy_request_transition(
        request_id=request.pk,
        new_status=S.DOCUMENTS_REQUESTED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        changes={"documents_due_on": first_due + datetime.timedelta(days=7)},
    )
    assert policy_request_reminders_send(today=first_due + datetime.timedelta(days=4)) == 1
    assert len(_reminders(citizen)) == 2


def test_reminders_respect_the_citizens_choice_but_always_reach_the_inbox(citizen, reviewer, sms_outbox):
    notification_preferences_save(user=citizen, choices={"request_documents_reminder": (True, False)})
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=10)
    sms_outbox.clear()
    assert policy_request_reminders_send(today=request.documents_due_on - datetime.timedelta(days=3)) == 1
    assert list(
        OutboundMessage.objects.filter(event="request_documents_reminder").values_list("channel", flat=True)
    ) == ["email"]
    assert sms_outbox == []
    assert len(_reminders(citizen)) == 1


def test_only_requests_waiting_for_documents_are_reminded(citizen, other_citizen, reviewer):
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=10)
    policy_request_transition(request_id=request.pk, new_status=S.WITHDRAWN, actor=citizen, role=ActorRole.CITIZEN)
    assert policy_request_reminders_send(today=request.documents_due_on - datetime.timedelta(days=3)) == 0


def test_expiry_moves_overdue_requests_once(
    citizen, other_citizen, reviewer, sms_outbox, django_capture_on_commit_callbacks
):
    overdue = _ask_documents(citizen=citizen, reviewer=reviewer, days=2)
    on_time = _ask_documents(citizen=other_citizen, reviewer=reviewer, days=3, number="12345678911")
    sms_outbox.clear()
    day_after = overdue.documents_due_on + datetime.timedelta(days=1)
    # The last day itself is still in time.
    with django_capture_on_commit_callbacks(execute=True):
        assert policy_request_deadlines_expire(today=overdue.documents_due_on) == 0
        assert policy_request_deadlines_expire(today=day_after) == 1
        assert policy_request_deadlines_expire(today=day_after) == 0
    overdue.refresh_from_db()
    on_time.refresh_from_db()
    assert (overdue.status, on_time.status) == (S.EXPIRED, S.DOCUMENTS_REQUESTED)
    change = StatusChange.objects.get(request=overdue, new_status=S.EXPIRED)
    assert (change.old_status, change.actor, change.actor_role) == (S.DOCUMENTS_REQUESTED, None, ActorRole.SYSTEM)
    assert Notification.objects.filter(recipient=citizen, event="request_expired").count() == 1
    assert [item["text"] for item in sms_outbox] == ["Портал ОМС: срок по заявке 123-456-789-03 истёк, она закрыта"]


def test_expiry_leaves_a_request_the_citizen_moved_meanwhile(citizen, reviewer):
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=1)
    policy_request_transition(request_id=request.pk, new_status=S.IN_REVIEW, actor=citizen, role=ActorRole.CITIZEN)
    assert policy_request_deadlines_expire(today=request.documents_due_on + datetime.timedelta(days=5)) == 0
    request.refresh_from_db()
    assert request.status == S.IN_REVIEW


def test_beat_runs_both_tasks_and_they_are_safe_to_run_twice(citizen, reviewer, monkeypatch):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "oms_policy.tasks.policy_request_reminders_send_task",
        "oms_policy.tasks.policy_request_deadlines_expire_task",
    } <= schedule
    request = _ask_documents(citizen=citizen, reviewer=reviewer, days=10)
    real_localdate = timezone.localdate

    def today_is(day):
        monkeypatch.setattr(timezone, "localdate", lambda value=None, *a: real_localdate(value) if value else day)

    today_is(request.documents_due_on - datetime.timedelta(days=3))
    assert policy_request_reminders_send_task.delay().get() == 1
    assert policy_request_reminders_send_task.delay().get() == 0
    today_is(request.documents_due_on + datetime.timedelta(days=1))
    assert policy_request_deadlines_expire_task.delay().get() == 1
    assert policy_request_deadlines_expire_task.delay().get() == 0
    assert StatusChange.objects.filter(request=request, new_status=S.EXPIRED).count() == 1


@pytest.mark.parametrize("days_left", [3, 2, 1, 0])
def test_reminder_windows(days_left):
    from oms_policy.deadline_services import _reminder_due

    assert _reminder_due(days_left=days_left) == (3 if days_left >= 2 else 1)
