"""The status table over every (from, to) pair, the roles, stale decisions, and the request number."""

from __future__ import annotations

import itertools

import pytest

from notifications.models import Notification, OutboundMessage
from oms_policy.constants import ActorRole, ChangeKind, RequestStatus
from oms_policy.models import StatusChange
from oms_policy.numbers import (
    request_number_display,
    request_number_generate,
    request_number_is_valid,
    request_number_normalize,
)
from oms_policy.services import TransitionRefused, policy_request_transition
from oms_policy.tests.factories import PolicyRequestFactory
from oms_policy.transitions import TRANSITIONS

ALL_PAIRS = list(itertools.permutations(RequestStatus.values, 2))


def _actor_for(role, *, request, reviewer):
    if role == ActorRole.CITIZEN:
        return request.applicant
    if role == ActorRole.REVIEWER:
        return reviewer
    return None


@pytest.mark.parametrize(("old", "new"), ALL_PAIRS)
def test_every_pair_is_allowed_exactly_for_its_role(old, new, reviewer, django_capture_on_commit_callbacks):
    for role in ActorRole.values:
        request = PolicyRequestFactory(status=old, reviewer=reviewer if old != RequestStatus.SUBMITTED else None)
        actor = _actor_for(role, request=request, reviewer=reviewer)
        allowed = TRANSITIONS.get((old, new)) == role
        if allowed:
            with django_capture_on_commit_callbacks(execute=False):
                policy_request_transition(request_id=request.pk, new_status=new, actor=actor, role=role)
            request.refresh_from_db()
            assert request.status == new
            change = StatusChange.objects.get(request=request)
            assert (change.old_status, change.new_status, change.actor, change.actor_role) == (old, new, actor, role)
            assert (
                Notification.objects.filter(
                    recipient=request.applicant, dedupe_key=f"request-status:{change.pk}"
                ).count()
                == 1
            )
        else:
            with pytest.raises(TransitionRefused):
                policy_request_transition(request_id=request.pk, new_status=new, actor=actor, role=role)
            request.refresh_from_db()
            assert request.status == old
            assert not StatusChange.objects.filter(request=request).exists()


def test_another_citizen_cannot_move_a_request(other_citizen):
    request = PolicyRequestFactory(status=RequestStatus.SUBMITTED)
    with pytest.raises(TransitionRefused) as refused:
        policy_request_transition(
            request_id=request.pk, new_status=RequestStatus.WITHDRAWN, actor=other_citizen, role=ActorRole.CITIZEN
        )
    assert refused.value.code == "forbidden"
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_only_the_reviewer_who_holds_a_request_decides_it(reviewer):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    colleague = StaffFactory(groups=[StaffGroup.REVIEWERS])
    request = PolicyRequestFactory(status=RequestStatus.IN_REVIEW, reviewer=reviewer)
    with pytest.raises(TransitionRefused) as refused:
        policy_request_transition(
            request_id=request.pk, new_status=RequestStatus.APPROVED, actor=colleague, role=ActorRole.REVIEWER
        )
    assert refused.value.code == "forbidden"


def test_support_operator_is_not_a_reviewer(support):
    request = PolicyRequestFactory(status=RequestStatus.SUBMITTED)
    with pytest.raises(TransitionRefused):
        policy_request_transition(
            request_id=request.pk, new_status=RequestStatus.IN_REVIEW, actor=support, role=ActorRole.REVIEWER
        )


def test_a_decision_from_a_stale_page_is_refused(reviewer):
    request = PolicyRequestFactory(status=RequestStatus.IN_REVIEW, reviewer=reviewer)
    seen = request.updated_at
    policy_request_transition(
        request_id=request.pk,
        new_status=RequestStatus.DOCUMENTS_REQUESTED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
    )
    with pytest.raises(TransitionRefused) as refused:
        policy_request_transition(
            request_id=request.pk,
            new_status=RequestStatus.APPROVED,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            expected_updated_at=seen,
        )
    assert refused.value.code in {"stale", "not_allowed"}
    request.refresh_from_db()
    assert request.status == RequestStatus.DOCUMENTS_REQUESTED
    assert StatusChange.objects.filter(request=request).count() == 1


def test_the_citizen_is_told_once_per_move(citizen):
    request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.SUBMITTED)
    policy_request_transition(
        request_id=request.pk, new_status=RequestStatus.WITHDRAWN, actor=citizen, role=ActorRole.CITIZEN
    )
    assert Notification.objects.filter(recipient=citizen).count() == 1
    channels = sorted(OutboundMessage.objects.filter(user=citizen).values_list("channel", flat=True))
    assert channels == ["email", "sms"]


def test_request_numbers_have_a_check_digit_and_are_not_sequential():
    numbers = {request_number_generate() for _ in range(2000)}
    assert len(numbers) == 2000
    for number in list(numbers)[:200]:
        assert len(number) == 11 and request_number_is_valid(number)
        # One wrong digit or two swapped neighbours is caught.
        wrong = number[:4] + str((int(number[4]) + 1) % 10) + number[5:]
        assert not request_number_is_valid(wrong)
    assert request_number_is_valid("123-456-789-0" + "0") is request_number_is_valid("12345678900")
    assert request_number_normalize(" 123 456-789 03 ") == "12345678903"
    assert request_number_display("12345678903") == "123-456-789-03"


@pytest.mark.parametrize(
    ("kind", "reason", "number", "required", "optional"),
    [
        (
            "renewal",
            "",
            "8451999122899990",
            ["passport_photo", "passport_registration", "current_policy"],
            ["reason_document"],
        ),
        ("renewal", "", "", ["passport_photo", "passport_registration"], ["current_policy", "reason_document"]),
        (
            "data_correction",
            "",
            "8451999122899990",
            ["passport_photo", "passport_registration", "current_policy", "reason_document"],
            [],
        ),
        (
            "smo_change",
            "residence",
            "",
            ["passport_photo", "passport_registration", "reason_document"],
            ["current_policy"],
        ),
        (
            "smo_change",
            "yearly",
            "",
            ["passport_photo", "passport_registration"],
            ["current_policy", "reason_document"],
        ),
    ],
)
def test_document_slots_follow_the_kind_of_change(kind, reason, number, required, optional, db):
    from oms_policy.services import policy_request_document_slots

    request = PolicyRequestFactory(change_kind=kind, smo_change_reason=reason, current_policy_number=number)
    assert policy_request_document_slots(request=request) == (required, optional)


def test_status_labels_follow_the_active_language_and_keep_unknown_values(db):
    """The request's labels come from a map kept per field (oms_policy.models.ChoiceLabels): the map
    holds lazy labels, so the language switched after it is built still decides the words."""
    from django.utils import translation

    request = PolicyRequestFactory.build(status=RequestStatus.DOCUMENTS_REQUESTED, change_kind=ChangeKind.RENEWAL)
    with translation.override("ru"):
        assert request.get_status_display() == "Требуются документы"
    with translation.override("en"):
        assert request.get_status_display() == "Documents required"
    change = StatusChange(old_status=RequestStatus.SUBMITTED, new_status=RequestStatus.DOCUMENTS_REQUESTED)
    with translation.override("ru"):
        assert change.get_new_status_display() == "Требуются документы"
    request.status = "no_such_status"
    assert request.get_status_display() == "no_such_status"
    assert isinstance(request.get_change_kind_display(), str)
