"""The citizen's services: drafts, submission (number, dates, double POST, one open request per
kind), the yearly СМО rule, withdrawal, sending requested documents and «Подать повторно»."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.constants import IdentityLevel
from documents.constants import DocumentStatus
from documents.models import Document
from oms_policy.calendar import working_days_add
from oms_policy.constants import ActorRole, ChangeKind, DocumentSlot, RequestStatus, SmoChangeReason
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.numbers import request_number_is_valid
from oms_policy.services import (
    RequestRefused,
    TransitionRefused,
    policy_request_documents_send,
    policy_request_draft_create,
    policy_request_draft_delete,
    policy_request_draft_update,
    policy_request_resubmit,
    policy_request_submit,
    policy_request_withdraw,
    smo_change_check,
)
from oms_policy.tests.factories import InsuranceCompanyFactory, PolicyFactory, PolicyRequestFactory
from oms_policy.tests.journey_support import document_add, documents_fill, request_move

D = datetime.date


@pytest.fixture
def draft(citizen):
    request = PolicyRequestFactory(applicant=citizen, draft_step=5)
    documents_fill(request=request)
    return request


def test_draft_is_prefilled_from_the_account_and_the_active_policy(citizen):
    policy = PolicyFactory(holder=citizen)
    draft = policy_request_draft_create(applicant=citizen, change_kind=ChangeKind.SMO_CHANGE)
    draft.refresh_from_db()
    assert (draft.status, draft.draft_step, draft.change_kind) == (RequestStatus.DRAFT, 1, ChangeKind.SMO_CHANGE)
    assert (draft.last_name, draft.first_name, draft.patronymic) == ("Иванова", "Анна", "Сергеевна")
    assert draft.birth_date == citizen.birth_date
    assert (draft.current_policy_kind, draft.current_policy_number, draft.region) == (
        "unified",
        "8451999122899990",
        policy.region,
    )


def test_a_standard_account_cannot_start_a_draft(citizen):
    citizen.identity_level = IdentityLevel.STANDARD
    citizen.save(update_fields=["identity_level"])
    with pytest.raises(RequestRefused) as refused:
        policy_request_draft_create(applicant=citizen)
    assert refused.value.code == "identity"
    assert not PolicyRequest.objects.exists()


def test_draft_update_keeps_the_furthest_step(citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=3)
    policy_request_draft_update(draft=draft, values={"current_policy_number": "2847040848000286"}, reached_step=2)
    draft.refresh_from_db()
    assert (draft.draft_step, draft.current_policy_number) == (3, "2847040848000286")


def test_draft_delete_removes_it_and_its_scans(citizen):
    draft = PolicyRequestFactory(applicant=citizen)
    document = document_add(request=draft, slot=DocumentSlot.PASSPORT_PHOTO)
    storage, name = document.file.storage, document.file.name
    policy_request_draft_delete(draft=draft)
    assert not PolicyRequest.objects.filter(pk=draft.pk).exists()
    assert not Document.objects.exists()
    assert not storage.exists(name)


def test_submit_gives_a_number_the_dates_and_one_status_change(draft, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submitted = policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="key-1")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED
    assert request_number_is_valid(submitted.number)
    assert submitted.submitted_at is not None
    assert submitted.decision_due_on == working_days_add(start=timezone.localdate(), days=5)
    assert submitted.submit_key == "key-1"
    change = StatusChange.objects.get(request=submitted)
    assert (change.old_status, change.new_status, change.actor, change.actor_role) == (
        RequestStatus.DRAFT,
        RequestStatus.SUBMITTED,
        citizen,
        ActorRole.CITIZEN,
    )


def test_double_submit_with_the_same_key_makes_one_request(draft, citizen):
    first = policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="same")
    second = policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="same")
    assert first.pk == second.pk
    assert second.number == first.number
    assert PolicyRequest.objects.filter(applicant=citizen).count() == 1
    assert StatusChange.objects.filter(request=draft).count() == 1


def test_a_stale_page_cannot_submit_again(draft, citizen):
    policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="first")
    with pytest.raises(RequestRefused) as refused:
        policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="other")
    assert refused.value.code == "already_submitted"
    assert StatusChange.objects.filter(request=draft).count() == 1


def test_number_collision_draws_another(draft, citizen, monkeypatch):
    taken = PolicyRequestFactory(number="12345678903", status=RequestStatus.WITHDRAWN)
    numbers = iter([taken.number, "12345678911"])
    monkeypatch.setattr("oms_policy.services.request_number_generate", lambda: next(numbers))
    submitted = policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    assert submitted.number == "12345678911"
    assert StatusChange.objects.filter(request=draft).count() == 1


def test_one_open_request_per_kind(draft, citizen):
    open_request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.IN_REVIEW, number="12345678903")
    with pytest.raises(RequestRefused) as refused:
        policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    assert refused.value.code == "open_request"
    assert refused.value.open_request == open_request
    assert "123-456-789-03" in refused.value.message
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (RequestStatus.DRAFT, None)


def test_an_open_request_of_another_kind_does_not_block(draft, citizen):
    PolicyRequestFactory(applicant=citizen, status=RequestStatus.IN_REVIEW, change_kind=ChangeKind.DATA_CORRECTION)
    assert policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k").status == RequestStatus.SUBMITTED


def test_an_open_yearly_smo_change_is_the_refusal_given_over_the_yearly_rule(citizen):
    # The open request also uses up the year (and today may be past 1 November): the citizen is told
    # about the request they have, with its link, as before the yearly rule was checked first.
    open_request = _smo_request(citizen, status=RequestStatus.IN_REVIEW, submitted_at=timezone.now())
    draft = PolicyRequestFactory(
        applicant=citizen,
        draft_step=5,
        change_kind=ChangeKind.SMO_CHANGE,
        smo_change_reason=SmoChangeReason.YEARLY,
        new_insurance_company=InsuranceCompanyFactory(),
    )
    documents_fill(request=draft)
    with pytest.raises(RequestRefused) as refused:
        policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    assert refused.value.code == "open_request"
    assert refused.value.open_request == open_request
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (RequestStatus.DRAFT, None)


def test_submit_is_blocked_while_a_required_scan_is_missing_checking_or_failed(citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
    document_add(request=draft, slot=DocumentSlot.PASSPORT_PHOTO, status=DocumentStatus.CHECKING)
    document_add(request=draft, slot=DocumentSlot.PASSPORT_REGISTRATION, status=DocumentStatus.FAILED)
    with pytest.raises(RequestRefused) as refused:
        policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    assert refused.value.code == "incomplete"
    assert "Паспорт: страница с фотографией»: дождитесь окончания проверки" in refused.value.message
    assert "Паспорт: страница с регистрацией»: замените скан" in refused.value.message
    assert "Текущий полис ОМС»: загрузите скан" in refused.value.message
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


def test_another_citizen_cannot_submit(draft, other_citizen):
    with pytest.raises(PolicyRequest.DoesNotExist):
        policy_request_submit(request_id=draft.pk, actor=other_citizen, submit_key="k")
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


# --- the yearly change of СМО: once a calendar year, no later than 1 November -------------------


@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (D(2026, 1, 1), True),
        (D(2026, 10, 31), True),
        (D(2026, 11, 1), True),
        (D(2026, 11, 2), False),
        (D(2026, 12, 31), False),
        (D(2027, 1, 1), True),
    ],
)
def test_yearly_smo_change_until_1_november(citizen, day, allowed):
    if allowed:
        smo_change_check(applicant=citizen, reason=SmoChangeReason.YEARLY, on=day)
    else:
        with pytest.raises(ValidationError) as refused:
            smo_change_check(applicant=citizen, reason=SmoChangeReason.YEARLY, on=day)
        assert refused.value.code == "smo_yearly_too_late"
        assert f"с 1 января {day.year + 1} года" in refused.value.messages[0]


@pytest.mark.parametrize("day", [D(2026, 11, 2), D(2026, 12, 31)])
def test_a_change_of_residence_is_allowed_any_day(citizen, day):
    smo_change_check(applicant=citizen, reason=SmoChangeReason.RESIDENCE, on=day)


def _smo_request(citizen, *, status, submitted_at):
    return PolicyRequestFactory(
        applicant=citizen,
        change_kind=ChangeKind.SMO_CHANGE,
        smo_change_reason=SmoChangeReason.YEARLY,
        new_insurance_company=InsuranceCompanyFactory(),
        status=status,
        submitted_at=submitted_at,
    )


def test_yearly_smo_change_once_per_calendar_year(citizen):
    moscow = timezone.get_current_timezone()
    _smo_request(
        citizen, status=RequestStatus.POLICY_ISSUED, submitted_at=datetime.datetime(2026, 3, 1, 12, tzinfo=moscow)
    )
    with pytest.raises(ValidationError) as refused:
        smo_change_check(applicant=citizen, reason=SmoChangeReason.YEARLY, on=D(2026, 10, 1))
    assert refused.value.code == "smo_yearly_used"
    # The next calendar year starts afresh, on 1 January already.
    smo_change_check(applicant=citizen, reason=SmoChangeReason.YEARLY, on=D(2027, 1, 1))
    # Moving house does not count against the yearly change.
    smo_change_check(applicant=citizen, reason=SmoChangeReason.RESIDENCE, on=D(2026, 10, 1))


def test_a_withdrawn_or_rejected_yearly_change_does_not_use_the_year(citizen):
    moscow = timezone.get_current_timezone()
    for status in (RequestStatus.WITHDRAWN, RequestStatus.REJECTED, RequestStatus.EXPIRED):
        _smo_request(citizen, status=status, submitted_at=datetime.datetime(2026, 3, 1, 12, tzinfo=moscow))
    smo_change_check(applicant=citizen, reason=SmoChangeReason.YEARLY, on=D(2026, 10, 1))


def test_a_request_sent_on_31_december_is_counted_in_that_year(citizen):
    moscow = timezone.get_current_timezone()
    _smo_request(
        citizen, status=RequestStatus.SUBMITTED, submitted_at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=moscow)
    )
    # 23:30 in Moscow on 31 December is still 2025 there (20:30 UTC): 2026 is free.
    smo_change_check(applicant=citizen, reason=SmoChangeReason.YEARLY, on=D(2026, 1, 1))


# --- withdraw, documents, resubmission ------------------------------------------------------------


def test_withdraw_then_nothing_more(draft, citizen):
    policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    policy_request_withdraw(request_id=draft.pk, actor=citizen)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.WITHDRAWN
    with pytest.raises(TransitionRefused):
        policy_request_withdraw(request_id=draft.pk, actor=citizen)
    assert StatusChange.objects.filter(request=draft).count() == 2


def test_documents_send_needs_new_scans_in_every_requested_slot(draft, citizen, reviewer):
    policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    request_move(
        request=draft,
        to=RequestStatus.DOCUMENTS_REQUESTED,
        reviewer=reviewer,
        changes={
            "requested_slots": [DocumentSlot.PASSPORT_REGISTRATION, DocumentSlot.REASON_DOCUMENT],
            "documents_due_on": timezone.localdate() + datetime.timedelta(days=10),
        },
    )
    with pytest.raises(RequestRefused) as refused:
        policy_request_documents_send(request_id=draft.pk, actor=citizen)
    assert refused.value.code == "documents_missing"
    assert "Паспорт: страница с регистрацией" in refused.value.message

    new_registration = document_add(request=draft, slot=DocumentSlot.PASSPORT_REGISTRATION)
    new_reason = document_add(request=draft, slot=DocumentSlot.REASON_DOCUMENT)
    policy_request_documents_send(request_id=draft.pk, actor=citizen)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.IN_REVIEW
    assert draft.reviewer == reviewer
    assert set(Document.objects.filter(request=draft, is_new_for_review=True)) == {new_registration, new_reason}
    last = StatusChange.objects.filter(request=draft).last()
    assert (last.old_status, last.new_status, last.actor_role) == (
        RequestStatus.DOCUMENTS_REQUESTED,
        RequestStatus.IN_REVIEW,
        ActorRole.CITIZEN,
    )


def test_documents_send_after_the_deadline_is_refused(draft, citizen, reviewer):
    policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    request_move(
        request=draft,
        to=RequestStatus.DOCUMENTS_REQUESTED,
        reviewer=reviewer,
        changes={
            "requested_slots": [DocumentSlot.PASSPORT_PHOTO],
            "documents_due_on": timezone.localdate() - datetime.timedelta(days=1),
        },
    )
    document_add(request=draft, slot=DocumentSlot.PASSPORT_PHOTO)
    with pytest.raises(RequestRefused) as refused:
        policy_request_documents_send(request_id=draft.pk, actor=citizen)
    assert refused.value.code == "late"
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DOCUMENTS_REQUESTED


def test_resubmit_makes_one_prefilled_draft(citizen, reviewer):
    company = InsuranceCompanyFactory()
    rejected = PolicyRequestFactory(
        applicant=citizen,
        change_kind=ChangeKind.SMO_CHANGE,
        new_insurance_company=company,
        smo_change_reason=SmoChangeReason.RESIDENCE,
        draft_step=5,
    )
    documents_fill(request=rejected)
    policy_request_submit(request_id=rejected.pk, actor=citizen, submit_key="k")
    request_move(
        request=rejected, to=RequestStatus.REJECTED, reviewer=reviewer, changes={"rejection_text": "Скан размыт."}
    )
    draft = policy_request_resubmit(request_id=rejected.pk, actor=citizen)
    again = policy_request_resubmit(request_id=rejected.pk, actor=citizen)
    assert draft.pk == again.pk
    draft.refresh_from_db()
    assert (draft.status, draft.resubmission_of, draft.change_kind, draft.new_insurance_company) == (
        RequestStatus.DRAFT,
        rejected,
        ChangeKind.SMO_CHANGE,
        company,
    )
    assert (draft.current_policy_number, draft.smo_change_reason, draft.number) == (
        "8451999122899990",
        SmoChangeReason.RESIDENCE,
        None,
    )
    # The passed scans come along (documents.services.documents_copy), once.
    copied = sorted(draft.documents.values_list("slot", "status"))
    assert copied == sorted(rejected.documents.values_list("slot", "status"))
    assert len(copied) == 4


def test_resubmit_only_a_rejected_request(draft, citizen):
    policy_request_submit(request_id=draft.pk, actor=citizen, submit_key="k")
    with pytest.raises(RequestRefused) as refused:
        policy_request_resubmit(request_id=draft.pk, actor=citizen)
    assert refused.value.code == "not_rejected"
    assert PolicyRequest.objects.filter(applicant=citizen).count() == 1
