"""Review of policy-update requests: claim, release and the three decisions; notes; the look-up log.

Every status move goes through `oms_policy.services.policy_request_transition` (the only writer of
`status`); these functions add what a decision needs around it (the claim's conditional update,
the reasons, the requested documents, one message for the citizen).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import StaffGroup
from oms_policy.calendar import working_days_before
from oms_policy.constants import ActorRole, DocumentSlot, RequestStatus
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.review_models import CallNote, DecisionReason, InternalNote, RejectionReason, RequestLookup
from oms_policy.services import TransitionRefused, policy_request_transition

REVIEW_HEADS_GROUP = "review_heads"
ADMINISTRATORS_GROUP = "administrators"


# --- roles ------------------------------------------------------------------------------------


def _group_names(user) -> frozenset[str]:
    # One query per request/user object, however many role checks a page makes.
    cached = getattr(user, "_staff_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) if user.is_authenticated else frozenset()
        user._staff_group_names = cached
    return cached


def _staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def staff_is_reviewer(user) -> bool:
    """May claim, release and decide requests, and open their scans."""
    return _staff(user) and (user.is_superuser or StaffGroup.REVIEWERS in _group_names(user))


def staff_is_support(user) -> bool:
    """May look a request up by number (masked data) and write call notes; no scans, no decisions."""
    return _staff(user) and (user.is_superuser or StaffGroup.SUPPORT in _group_names(user))


def staff_is_review_head(user) -> bool:
    """May see the review dashboard."""
    return _staff(user) and (user.is_superuser or REVIEW_HEADS_GROUP in _group_names(user))


# --- deadlines --------------------------------------------------------------------------------


def review_overdue_since(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """Requests submitted before this moment are past the review deadline (REVIEW_PERIOD_WORKING_DAYS).

    A request submitted on Monday is due the fifth working day after (next Monday) and overdue from
    the day after that.
    """
    today = timezone.localdate(now or timezone.now())
    cutoff = working_days_before(day=today, count=settings.REVIEW_PERIOD_WORKING_DAYS)
    return timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time.min))


def documents_default_due_on(*, today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + datetime.timedelta(days=settings.REVIEW_DOCUMENTS_DEADLINE_DAYS)


# --- claim and release ------------------------------------------------------------------------


def policy_request_claim(
    *, request_id: int, reviewer, expected_updated_at: datetime.datetime | None = None
) -> PolicyRequest:
    """«Взять в работу»: the reviewer takes a submitted, unclaimed request; it becomes «На проверке».

    Before: the request is `submitted` with no reviewer. The claim is a conditional UPDATE, so of two
    reviewers clicking at once exactly one gets the row; the other gets `TransitionRefused`
    (code «taken»). After: `reviewer`, `claimed_at` set, status `in_review`, one StatusChange, the
    citizen notified after commit (by the transition). Nothing changes when refused.
    """
    if not staff_is_reviewer(reviewer):
        raise TransitionRefused(_("У вас нет права на это действие с заявкой."), code="forbidden")
    with transaction.atomic():
        now = timezone.now()
        taken = PolicyRequest.objects.filter(
            pk=request_id, reviewer__isnull=True, status=RequestStatus.SUBMITTED
        ).update(reviewer=reviewer, claimed_at=now)
        if taken != 1:
            current = PolicyRequest.objects.filter(pk=request_id).values("status", "reviewer_id").first()
            if current is None:
                raise TransitionRefused(_("Такой заявки нет."), code="missing")
            if current["reviewer_id"] is not None and current["reviewer_id"] != reviewer.pk:
                raise TransitionRefused(_("Заявку уже взял в работу другой проверяющий."), code="taken")
            raise TransitionRefused(
                _("Заявку нельзя взять в работу: её статус «%(status)s».")
                % {"status": RequestStatus(current["status"]).label},
                code="not_allowed",
            )
        return policy_request_transition(
            request_id=request_id,
            new_status=RequestStatus.IN_REVIEW,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            expected_updated_at=expected_updated_at,
        )


def policy_request_release(
    *, request_id: int, reviewer, expected_updated_at: datetime.datetime | None = None
) -> PolicyRequest:
    """«Вернуть в очередь»: the reviewer who holds an `in_review` request gives it back (`submitted`, no reviewer)."""
    return policy_request_transition(
        request_id=request_id,
        new_status=RequestStatus.SUBMITTED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        expected_updated_at=expected_updated_at,
        changes={"reviewer": None, "claimed_at": None},
    )


# --- decisions --------------------------------------------------------------------------------


def policy_request_approve(
    *, request_id: int, reviewer, expected_updated_at: datetime.datetime | None = None
) -> PolicyRequest:
    """Approve: `in_review` → `approved` by the reviewer who holds it. The electronic policy is made
    by the policy issue's task after approval (not here)."""
    return policy_request_transition(
        request_id=request_id,
        new_status=RequestStatus.APPROVED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        expected_updated_at=expected_updated_at,
    )


def rejection_text_compose(*, reasons: Iterable[RejectionReason], text: str) -> str:
    """Several reasons and the free text become one message to the citizen, one reason a line."""
    lines = [reason.text for reason in reasons]
    if text.strip():
        lines.append(text.strip())
    return "\n".join(lines)


def policy_request_reject(
    *,
    request_id: int,
    reviewer,
    reason_ids: Iterable[int],
    text: str = "",
    expected_updated_at: datetime.datetime | None = None,
) -> PolicyRequest:
    """Reject with one or more reasons from the managed list plus free text.

    Before: at least one active reason or some text. After: `rejection_text` holds the one message
    to the citizen (also the StatusChange comment, so the citizen is told once); a DecisionReason
    row per chosen reason (with the field or document it is about) hangs off that StatusChange.
    """
    reasons = list(RejectionReason.objects.filter(pk__in=list(reason_ids), is_active=True).order_by("position", "pk"))
    message = rejection_text_compose(reasons=reasons, text=text)
    if not message:
        raise TransitionRefused(_("Выберите хотя бы одну причину отказа или напишите её."), code="no_reason")
    with transaction.atomic():
        request = policy_request_transition(
            request_id=request_id,
            new_status=RequestStatus.REJECTED,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            comment=message,
            expected_updated_at=expected_updated_at,
            changes={"rejection_text": message},
        )
        change = StatusChange.objects.filter(request_id=request_id).latest("at", "pk")
        DecisionReason.objects.bulk_create(
            [
                DecisionReason(status_change=change, reason=reason, subject=reason.subject, text=reason.text)
                for reason in reasons
            ]
        )
    return request


def policy_request_documents_request(
    *,
    request_id: int,
    reviewer,
    slots: Iterable[str],
    note: str,
    due_on: datetime.date,
    expected_updated_at: datetime.datetime | None = None,
) -> PolicyRequest:
    """Ask the citizen for documents: the slots to (re)upload, what is needed, and by when.

    Before: at least one known slot, a note, a deadline after today. After: status
    `documents_requested` with `requested_slots`, `requested_note`, `documents_due_on`; the citizen
    is told once (the StatusChange comment lists the documents and the deadline). The reviewer keeps
    the request: when the citizen sends the documents it comes back to them.
    """
    chosen = [slot for slot in DocumentSlot.values if slot in set(slots)]
    if not chosen:
        raise TransitionRefused(_("Отметьте, какие документы нужны."), code="no_slots")
    if not note.strip():
        raise TransitionRefused(_("Напишите, что именно нужно донести."), code="no_note")
    if due_on <= timezone.localdate():
        raise TransitionRefused(_("Срок для документов должен быть позже сегодняшнего дня."), code="bad_due")
    comment = "\n".join(
        [
            _("Нужны документы: %(slots)s.") % {"slots": "; ".join(str(DocumentSlot(slot).label) for slot in chosen)},
            note.strip(),
            _("Срок: до %(date)s.") % {"date": due_on.strftime("%d.%m.%Y")},
        ]
    )
    return policy_request_transition(
        request_id=request_id,
        new_status=RequestStatus.DOCUMENTS_REQUESTED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        comment=comment,
        expected_updated_at=expected_updated_at,
        changes={"requested_slots": chosen, "requested_note": note.strip(), "documents_due_on": due_on},
    )


# --- notes and the look-up log ------------------------------------------------------------------


def internal_note_add(*, request_id: int, author, text: str) -> InternalNote:
    """A reviewer's internal note (never shown to the citizen)."""
    if not staff_is_reviewer(author):
        raise PermissionError("only reviewers write internal notes")
    return InternalNote.objects.create(request_id=request_id, author=author, text=text.strip())


def call_note_add(*, request_id: int, author, text: str) -> CallNote:
    """A support operator's note about a call."""
    if not staff_is_support(author):
        raise PermissionError("only support operators write call notes")
    return CallNote.objects.create(request_id=request_id, author=author, text=text.strip())


def request_lookup_record(
    *, actor, query: str, request: PolicyRequest | None, http_request: HttpRequest | None = None
) -> RequestLookup:
    """Append one look-up to the audit log (digits of what was typed, cut to 32)."""
    from accounts.services import request_ip

    return RequestLookup.objects.create(
        actor=actor,
        query=query[:32],
        request=request,
        ip_address=request_ip(http_request) if http_request is not None else None,
    )
