"""Writes to the policy catalogue: reference data (regions, СМО); the request's status machine."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import IdentityLevel, StaffGroup
from oms_policy import reference_data
from oms_policy.calendar import working_days_add
from oms_policy.constants import (
    OPEN_STATUSES,
    ActorRole,
    ChangeKind,
    DocumentSlot,
    RequestStatus,
    SmoChangeReason,
)
from oms_policy.models import InsuranceCompany, PolicyRequest, Region, StatusChange
from oms_policy.numbers import request_number_display, request_number_generate
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
    with transaction.atomic():
        request = PolicyRequest.objects.select_for_update().select_related("applicant").get(pk=request_id)
        return _transition_locked(
            request=request,
            new_status=new_status,
            actor=actor,
            role=role,
            comment=comment,
            expected_updated_at=expected_updated_at,
            changes=changes,
        )


def _transition_locked(
    *,
    request: PolicyRequest,
    new_status: str,
    actor,
    role: str,
    comment: str = "",
    expected_updated_at=None,
    changes: dict[str, Any] | None = None,
) -> PolicyRequest:
    """`policy_request_transition` for a caller that already holds the row's lock in its transaction
    (`select_for_update()` with the applicant loaded): the submission locks the draft once, for its
    own checks and for the move."""
    from oms_policy.events import request_status_notify

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
        from common.tasking import enqueue_on_commit
        from oms_policy.tasks import policy_issue_task

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


# --- the citizen's side: drafts, submission, withdrawal, documents, resubmission ----------------


class RequestRefused(Exception):
    """A citizen's action the rules do not allow. `message` is for the citizen (Russian, plain words);
    `open_request` is the open request of the same kind when that is the reason. Nothing was changed.
    """

    def __init__(self, message: str, *, code: str, open_request: PolicyRequest | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.open_request = open_request


# The steps of the form (oms_policy.forms); a draft remembers the furthest one reached.
DRAFT_STEPS = 5
# The yearly change of СМО: once a calendar year, no later than this day (month, day).
SMO_YEARLY_LAST_DAY = (11, 1)
# Requests that count as «the yearly change was used» (a withdrawn or refused one does not).
_SMO_CHANGE_USED = (*OPEN_STATUSES, RequestStatus.POLICY_ISSUED)


def applicant_may_apply(*, user) -> bool:
    """Only a «подтверждённая» account may send requests (its identity was checked by video)."""
    return bool(user.is_authenticated and user.identity_level == IdentityLevel.CONFIRMED)


def smo_change_check(*, applicant, reason: str, on: datetime.date, exclude_request_id: int | None = None) -> None:
    """Raise ValidationError when the citizen may not change the СМО for `reason` on the day `on`.

    The yearly change: once per calendar year and no later than 1 November; a change of residence
    (with proof): any day. A yearly change counts as used once sent, unless it was withdrawn,
    rejected or expired.
    """
    if reason != SmoChangeReason.YEARLY:
        return
    month, day = SMO_YEARLY_LAST_DAY
    if on > datetime.date(on.year, month, day):
        raise ValidationError(
            _(
                "Сменить страховую компанию без переезда можно до 1 ноября. Подайте заявку с 1 января "
                "%(next_year)s года или выберите причину «Смена места жительства», если вы переехали."
            )
            % {"next_year": on.year + 1},
            code="smo_yearly_too_late",
        )
    used = PolicyRequest.objects.filter(
        applicant=applicant,
        change_kind=ChangeKind.SMO_CHANGE,
        smo_change_reason=SmoChangeReason.YEARLY,
        status__in=_SMO_CHANGE_USED,
        submitted_at__year=on.year,
    )
    if exclude_request_id is not None:
        used = used.exclude(pk=exclude_request_id)
    if used.exists():
        raise ValidationError(
            _(
                "В %(year)s году вы уже подавали заявку на смену страховой компании. Без переезда её можно "
                "менять раз в год: следующая смена — с 1 января %(next_year)s года."
            )
            % {"year": on.year, "next_year": on.year + 1},
            code="smo_yearly_used",
        )


def policy_request_draft_create(*, applicant, change_kind: str = "") -> PolicyRequest:
    """A new draft at step 1, prefilled from the confirmed account and the citizen's active policy.

    Before: the account is «подтверждённая» (else RequestRefused). Schedules nothing.
    """
    from oms_policy.selectors import policy_active_for

    if not applicant_may_apply(user=applicant):
        raise RequestRefused(_("Подать заявку можно после подтверждения личности."), code="identity")
    draft = PolicyRequest(
        applicant=applicant,
        change_kind=change_kind,
        last_name=applicant.last_name,
        first_name=applicant.first_name,
        patronymic=applicant.patronymic,
        sex=applicant.sex or "",
        birth_date=applicant.birth_date,
    )
    policy = policy_active_for(holder=applicant)
    if policy is not None:
        draft.current_policy_kind = policy.kind
        draft.current_policy_number = policy.enp or policy.number
        draft.current_policy_series = policy.series
        draft.region = policy.region
    draft.save()
    return draft


def policy_request_draft_update(*, draft: PolicyRequest, values: dict[str, Any], reached_step: int) -> PolicyRequest:
    """Save one step's answers on the draft row and remember the furthest step reached.

    Before: `draft` is the caller's own draft (the view fetched it for its applicant).
    """
    if draft.status != RequestStatus.DRAFT:
        raise RequestRefused(_("Заявка уже отправлена, её нельзя изменить."), code="not_draft")
    for field, value in values.items():
        setattr(draft, field, value)
    draft.draft_step = max(draft.draft_step, min(reached_step, DRAFT_STEPS))
    draft.save(update_fields=[*values, "draft_step", "updated_at"])
    return draft


def policy_request_draft_delete(*, draft: PolicyRequest) -> None:
    """Delete a draft and its scans (a sent request is never deleted)."""
    if draft.status != RequestStatus.DRAFT:
        raise RequestRefused(_("Отправленную заявку удалить нельзя — её можно отозвать."), code="not_draft")
    for document in draft.documents.all():
        document.file.delete(save=False)
    draft.delete()


def policy_request_open_of_kind(*, applicant, change_kind: str, exclude_id: int | None = None) -> PolicyRequest | None:
    open_requests = PolicyRequest.objects.filter(applicant=applicant, change_kind=change_kind, status__in=OPEN_STATUSES)
    if exclude_id is not None:
        open_requests = open_requests.exclude(pk=exclude_id)
    return open_requests.order_by("-submitted_at").first()


def _open_request_refusal(open_request: PolicyRequest) -> RequestRefused:
    return RequestRefused(
        _(
            "У вас уже есть открытая заявка «%(kind)s» № %(number)s. Дождитесь решения по ней или отзовите её, "
            "чтобы подать новую."
        )
        % {"kind": open_request.get_change_kind_display(), "number": request_number_display(open_request.number)},
        code="open_request",
        open_request=open_request,
    )


def policy_request_submit_problems(*, draft: PolicyRequest) -> list[str]:
    """What still stops the draft from being sent, in the citizen's words (empty: ready)."""
    from documents.selectors import document_slots_for_request

    problems = []
    if not (draft.current_policy_kind and draft.current_policy_number):
        problems.append(_("Укажите номер текущего полиса (шаг 1)."))
    if draft.region_id and not InsuranceCompany.objects.filter(region_id=draft.region_id, is_active=True).exists():
        # No insurer works there: the policy could never be issued after an approval.
        problems.append(_("В выбранном регионе нет страховой компании — выберите регион, где вы живёте (шаг 1)."))
    if not (draft.last_name and draft.first_name and draft.sex and draft.birth_date):
        problems.append(_("Заполните личные данные (шаг 2)."))
    if not draft.change_kind:
        problems.append(_("Выберите, что нужно изменить (шаг 3)."))
    elif draft.change_kind == ChangeKind.SMO_CHANGE and not (
        draft.new_insurance_company_id and draft.smo_change_reason
    ):
        problems.append(_("Выберите новую страховую компанию и причину смены (шаг 3)."))
    elif draft.change_kind == ChangeKind.DATA_CORRECTION and not draft.corrections:
        problems.append(_("Укажите, какие данные исправить (шаг 3)."))
    required, optional = policy_request_document_slots(request=draft)
    for slot in document_slots_for_request(request=draft, required=required, optional=optional):
        if slot.blocks_submission:
            problems.append(
                _("Документ «%(slot)s»: %(state)s (шаг 4).") % {"slot": slot.label, "state": _slot_state_text(slot)}
            )
    return problems


def _slot_state_text(slot) -> str:
    from documents.constants import SlotState

    return {
        SlotState.EMPTY: _("загрузите скан"),
        SlotState.CHECKING: _("дождитесь окончания проверки"),
        SlotState.FAILED: _("замените скан"),
    }.get(slot.state, "")


NUMBER_ATTEMPTS = 5


def policy_request_submit(*, request_id: int, actor, submit_key: str) -> PolicyRequest:
    """Send the draft: it gets its number, `submitted_at` and the decision date, and moves to «Подана».

    Before: `actor` owns the draft, the account is confirmed, nothing in
    `policy_request_submit_problems`, no other open request of the same kind, the СМО rule holds
    today. A second POST with the same `submit_key` (a double click, a resent form) returns the
    request it already sent, unchanged. After: one `StatusChange` (draft → submitted) and the
    citizen's notification (policy_request_transition). Raises RequestRefused otherwise.
    The number is random; on the rare collision with an existing one another is drawn.
    """
    change_kind = None
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                draft = PolicyRequest.objects.select_for_update().get(pk=request_id, applicant=actor)
                # The applicant is the actor (the filter above): the notification needs no second read.
                draft.applicant = actor
                change_kind = draft.change_kind
                if draft.status != RequestStatus.DRAFT:
                    if submit_key and draft.submit_key == submit_key:
                        return draft
                    raise RequestRefused(_("Эта заявка уже отправлена."), code="already_submitted")
                _submit_check(draft=draft, actor=actor)
                today = timezone.localdate()
                return _transition_locked(
                    request=draft,
                    new_status=RequestStatus.SUBMITTED,
                    actor=actor,
                    role=ActorRole.CITIZEN,
                    changes={
                        "submitted_at": timezone.now(),
                        "decision_due_on": working_days_add(start=today, days=settings.REVIEW_PERIOD_WORKING_DAYS),
                        "submit_key": submit_key[:64],
                        "number": request_number_generate(),
                    },
                )
        except IntegrityError:
            # Either the number was taken (the whole transaction is tried again with another) or
            # another tab sent a request of the same kind a moment ago (the database's
            # one-open-request rule). Retrying the transaction instead of a savepoint around the
            # move keeps the usual submission two round trips shorter.
            open_request = policy_request_open_of_kind(applicant=actor, change_kind=change_kind, exclude_id=request_id)
            if open_request is not None:
                raise _open_request_refusal(open_request) from None
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _submit_check(*, draft: PolicyRequest, actor) -> None:
    """Raise RequestRefused when the locked draft may not be sent today (see policy_request_submit).

    Another open request of the same kind is not read here: the database's one_open_request_per_kind
    refuses the UPDATE, and policy_request_submit answers with that request (one query less on every
    submission). Where the yearly СМО rule refuses too, the open request is still the answer given.
    """
    if not applicant_may_apply(user=actor):
        raise RequestRefused(_("Подать заявку можно после подтверждения личности."), code="identity")
    problems = policy_request_submit_problems(draft=draft)
    if problems:
        raise RequestRefused(" ".join(problems), code="incomplete")
    if draft.change_kind == ChangeKind.SMO_CHANGE:
        try:
            smo_change_check(
                applicant=actor, reason=draft.smo_change_reason, on=timezone.localdate(), exclude_request_id=draft.pk
            )
        except ValidationError as error:
            open_request = policy_request_open_of_kind(
                applicant=actor, change_kind=draft.change_kind, exclude_id=draft.pk
            )
            if open_request is not None:
                raise _open_request_refusal(open_request) from error
            raise RequestRefused(" ".join(error.messages), code="smo_rule") from error


def policy_request_withdraw(*, request_id: int, actor, expected_updated_at=None) -> PolicyRequest:
    """The citizen withdraws a request nothing was decided on yet (→ «Отозвана»).

    Refusals come from the status table (TransitionRefused), e.g. after a decision.
    """
    return policy_request_transition(
        request_id=request_id,
        new_status=RequestStatus.WITHDRAWN,
        actor=actor,
        role=ActorRole.CITIZEN,
        comment=_("Заявка отозвана по вашему желанию."),
        expected_updated_at=expected_updated_at,
    )


def policy_request_documents_send(*, request_id: int, actor) -> PolicyRequest:
    """Send the documents the reviewer asked for: back to «На проверке», to the reviewer who asked.

    Before: the request is «Требуются документы», its deadline has not passed, each requested slot
    holds a scan uploaded since the request was made and none of the requested slots is being
    checked or failed. After: those scans are marked new for the reviewer; one StatusChange.
    """
    from documents.models import Document
    from documents.selectors import document_slots_for_request

    with transaction.atomic():
        request = PolicyRequest.objects.select_for_update().get(pk=request_id, applicant=actor)
        if request.status != RequestStatus.DOCUMENTS_REQUESTED:
            raise RequestRefused(_("Сейчас документы по этой заявке не запрошены."), code="not_requested")
        if request.documents_due_on and timezone.localdate() > request.documents_due_on:
            raise RequestRefused(_("Срок, до которого нужно было донести документы, прошёл."), code="late")
        asked_at = (
            StatusChange.objects.filter(request=request, new_status=RequestStatus.DOCUMENTS_REQUESTED)
            .order_by("-at", "-pk")
            .values_list("at", flat=True)
            .first()
        )
        slots = document_slots_for_request(request=request, required=list(request.requested_slots))
        missing = [
            str(slot.label)
            for slot in slots
            if slot.state in ("checking", "failed")
            or not any(asked_at is None or document.uploaded_at >= asked_at for document in slot.documents)
        ]
        if missing:
            raise RequestRefused(
                _("Загрузите новые сканы и дождитесь их проверки: %(slots)s.") % {"slots": ", ".join(missing)},
                code="documents_missing",
            )
        new_documents = Document.objects.filter(request=request, slot__in=list(request.requested_slots))
        if asked_at is not None:
            new_documents = new_documents.filter(uploaded_at__gte=asked_at)
        new_documents.update(is_new_for_review=True)
        return policy_request_transition(
            request_id=request.pk,
            new_status=RequestStatus.IN_REVIEW,
            actor=actor,
            role=ActorRole.CITIZEN,
            comment=_("Вы отправили запрошенные документы."),
        )


_RESUBMIT_FIELDS = (
    "change_kind",
    "current_policy_kind",
    "current_policy_number",
    "current_policy_series",
    "last_name",
    "first_name",
    "patronymic",
    "sex",
    "birth_date",
    "region_id",
    "corrections",
    "new_insurance_company_id",
    "smo_change_reason",
)


def policy_request_resubmit(*, request_id: int, actor) -> PolicyRequest:
    """«Подать повторно»: a new draft prefilled from the citizen's rejected request (and its scans,
    when the documents app can copy them). Asking twice returns the same draft while it is one.
    """
    with transaction.atomic():
        rejected = PolicyRequest.objects.select_for_update().get(pk=request_id, applicant=actor)
        if rejected.status != RequestStatus.REJECTED:
            raise RequestRefused(_("Повторно подать можно только отклонённую заявку."), code="not_rejected")
        if not applicant_may_apply(user=actor):
            raise RequestRefused(_("Подать заявку можно после подтверждения личности."), code="identity")
        existing = rejected.resubmissions.filter(status=RequestStatus.DRAFT).first()
        if existing is not None:
            return existing
        draft = PolicyRequest(applicant=actor, resubmission_of=rejected, draft_step=1)
        for field in _RESUBMIT_FIELDS:
            setattr(draft, field, getattr(rejected, field))
        draft.save()
        # Imported here: the documents app imports this one.
        from documents.services import documents_copy

        documents_copy(source_request=rejected, target_request=draft, user=actor)
        return draft
