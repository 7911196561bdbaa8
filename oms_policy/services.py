"""Writes to the policy catalogue: reference data (regions, СМО); the request's status machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import StaffGroup
from oms_policy import reference_data
from oms_policy.constants import ActorRole, ChangeKind, DocumentSlot, RequestStatus, SmoChangeReason
from oms_policy.models import InsuranceCompany, PolicyRequest, Region, StatusChange
from oms_policy.transitions import allowed_role


@dataclass(frozen=True)
class ReferenceDataResult:
    regions_created: int
    regions_updated: int
    companies_created: int
    companies_updated: int


@transaction.atomic
def reference_data_ensure() -> ReferenceDataResult:
    """Bring regions and СМО up to `oms_policy.reference_data`, keyed by code; safe to run any time.

    Before: nothing (an empty or a partly filled database). After: every region and company in the
    lists exists with the listed name and region, and listed companies are active. Rows that are
    not in the lists are left alone (an operator may have added them). Schedules no tasks.
    Migration 0002_reference_data does the same with its own frozen copy of the lists.
    """
    regions_created = regions_updated = companies_created = companies_updated = 0
    regions_by_code: dict[str, Region] = {}
    for code, name in reference_data.REGIONS:
        region, created = Region.objects.update_or_create(code=code, defaults={"name": name})
        regions_by_code[code] = region
        regions_created += created
        regions_updated += not created
    for federal_code, name, region_code in reference_data.INSURANCE_COMPANIES:
        _company, created = InsuranceCompany.objects.update_or_create(
            federal_code=federal_code,
            defaults={"name": name, "region": regions_by_code[region_code], "is_active": True},
        )
        companies_created += created
        companies_updated += not created
    return ReferenceDataResult(
        regions_created=regions_created,
        regions_updated=regions_updated,
        companies_created=companies_created,
        companies_updated=companies_updated,
    )


# --- the policy-update request: its one transition service -------------------------------------


class TransitionRefused(Exception):
    """A move the status table or the actor's role does not allow, or a stale decision.

    `message` is for the person who tried (Russian, plain words); nothing was changed.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _actor_may(*, request: PolicyRequest, actor, role: str, old: str, new: str) -> bool:
    if role == ActorRole.SYSTEM:
        return actor is None
    if actor is None or not getattr(actor, "is_active", False):
        return False
    if role == ActorRole.CITIZEN:
        return actor.pk == request.applicant_id
    if role == ActorRole.REVIEWER:
        if not (actor.is_staff and (actor.is_superuser or actor.groups.filter(name=StaffGroup.REVIEWERS).exists())):
            return False
        # Claiming is open to any reviewer; every other reviewer move only to the one who holds it.
        if (old, new) == (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW):
            return True
        return request.reviewer_id == actor.pk
    return False


def policy_request_transition(
    *,
    request_id: int,
    new_status: str,
    actor=None,
    role: str,
    comment: str = "",
    expected_updated_at=None,
    changes: dict[str, Any] | None = None,
) -> PolicyRequest:
    """Move a request to `new_status`: the only writer of `PolicyRequest.status`.

    Before: the (old, new) pair is in `TRANSITIONS` with `role`, and `actor` may act as that role on
    this request (the applicant; a reviewer — for decisions the one who holds it; the system: no
    actor). `expected_updated_at`, when given, is the `updated_at` the actor's page showed: a request
    changed since is refused («заявку уже изменили»). After: the row is saved with `changes` (field →
    value, e.g. the reviewer, the deadline) and the new status; one `StatusChange` row is written;
    the citizen is notified (`oms_policy.events.request_status_notify`, rows written in this
    transaction, sent after commit); on approval `oms_policy.tasks.policy_issue_task` is scheduled
    after commit (it issues the policy and moves the request on to POLICY_ISSUED). Raises
    `TransitionRefused` and changes nothing otherwise.
    """
    from oms_policy.events import request_status_notify

    with transaction.atomic():
        request = PolicyRequest.objects.select_for_update().select_related("applicant").get(pk=request_id)
        old = request.status
        if expected_updated_at is not None and request.updated_at != expected_updated_at:
            raise TransitionRefused(
                _("Заявку уже изменили, пока страница была открыта. Обновите страницу и посмотрите её текущий статус."),
                code="stale",
            )
        if allowed_role(old, new_status) != role:
            raise TransitionRefused(
                _("Из статуса «%(old)s» заявку нельзя перевести в «%(new)s».")
                % {"old": RequestStatus(old).label, "new": RequestStatus(new_status).label},
                code="not_allowed",
            )
        if not _actor_may(request=request, actor=actor, role=role, old=old, new=new_status):
            raise TransitionRefused(_("У вас нет права на это действие с заявкой."), code="forbidden")
        now = timezone.now()
        update_fields = {"status", "updated_at"}
        for field, value in (changes or {}).items():
            setattr(request, field, value)
            update_fields.add(field)
        request.status = new_status
        if new_status in (RequestStatus.APPROVED, RequestStatus.REJECTED):
            request.decided_at = now
            update_fields.add("decided_at")
        request.save(update_fields=sorted(update_fields))
        change = StatusChange.objects.create(
            request=request,
            old_status=old,
            new_status=new_status,
            actor=actor,
            actor_role=role,
            comment=comment,
            at=now,
        )
        request_status_notify(request=request, change=change)
        if new_status == RequestStatus.APPROVED:
            from oms_policy.tasks import policy_issue_task
            from portal.tasking import enqueue_on_commit

            enqueue_on_commit(policy_issue_task, request.pk)
    return request


def policy_request_document_slots(*, request: PolicyRequest) -> tuple[list[str], list[str]]:
    """The scans a request needs, from its kind of change: (required slots, optional slots).

    Passport photo and registration pages always; the current policy when the citizen has one (they
    gave its number); a document proving the reason for a data correction and for a change of СМО
    on moving house; otherwise the reason document is optional.
    """
    required = [DocumentSlot.PASSPORT_PHOTO, DocumentSlot.PASSPORT_REGISTRATION]
    optional: list[str] = []
    if request.current_policy_number:
        required.append(DocumentSlot.CURRENT_POLICY)
    else:
        optional.append(DocumentSlot.CURRENT_POLICY)
    needs_reason = request.change_kind == ChangeKind.DATA_CORRECTION or (
        request.change_kind == ChangeKind.SMO_CHANGE and request.smo_change_reason == SmoChangeReason.RESIDENCE
    )
    (required if needs_reason else optional).append(DocumentSlot.REASON_DOCUMENT)
    return [str(slot) for slot in required], [str(slot) for slot in optional]
