"""What the citizen is told when their request moves: one message per step of the journey.

Each move of the status table has its own event and template set in
templates/notifications/<event>/ (subject.txt, body.txt, body.html, sms.txt, inbox_title.txt,
inbox.txt); `notifications.notify` renders them in the citizen's language and applies their e-mail
and SMS choices. The dedupe key is the status change, so a retried transaction or task never sends
the same news twice. Reminders before a documents deadline are keyed by the request, the deadline
and the reminder (3 or 1 day): the beat task may run any number of times.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.text import format_lazy

from notifications.selectors import notification_exists
from notifications.services import notify
from oms_policy.constants import DocumentSlot, RequestStatus
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.numbers import request_number_display

S = RequestStatus

# (old, new) → event; every pair of oms_policy.transitions.TRANSITIONS is here (a test checks).
EVENT_BY_MOVE: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): "request_submitted",
    (S.SUBMITTED, S.IN_REVIEW): "request_in_review",
    # Given back to the queue: the citizen sees it in the inbox; no e-mail or SMS for a shuffle of staff.
    (S.IN_REVIEW, S.SUBMITTED): "request_returned",
    (S.IN_REVIEW, S.APPROVED): "request_approved",
    (S.IN_REVIEW, S.REJECTED): "request_rejected",
    (S.IN_REVIEW, S.DOCUMENTS_REQUESTED): "request_documents_requested",
    (S.DOCUMENTS_REQUESTED, S.IN_REVIEW): "request_documents_received",
    (S.DOCUMENTS_REQUESTED, S.EXPIRED): "request_expired",
    (S.APPROVED, S.POLICY_ISSUED): "request_policy_issued",
    (S.SUBMITTED, S.WITHDRAWN): "request_withdrawn",
    (S.IN_REVIEW, S.WITHDRAWN): "request_withdrawn",
    (S.DOCUMENTS_REQUESTED, S.WITHDRAWN): "request_withdrawn",
}

REMINDER_EVENT = "request_documents_reminder"


def _my_policy_path() -> str:
    return reverse("policy:my-policy")


def _context(*, request: PolicyRequest, link: str) -> dict:
    documents = [DocumentSlot(slot).label for slot in request.requested_slots if slot in DocumentSlot.values]
    return {
        "request": request,
        "number": request_number_display(request.number),
        "name": request.first_name or request.applicant.get_short_name(),
        "request_url": f"{settings.PORTAL_BASE_URL}{link}",
        "decision_due": request.decision_due_on,
        "documents_due": request.documents_due_on,
        # Lazy labels: rendered in the recipient's language inside notify(). `documents_list` is the same
        # list as one lazy text (the join filter cannot join lazy labels with autoescape off).
        "documents": documents,
        "documents_list": format_lazy(", ".join(["{}"] * len(documents)), *documents),
        "documents_note": request.requested_note.strip(),
        "rejection_text": request.rejection_text.strip(),
    }


def request_status_notify(*, request: PolicyRequest, change: StatusChange) -> None:
    """Write the inbox, e-mail and SMS rows for `change` (inside the caller's transaction)."""
    event = EVENT_BY_MOVE[(change.old_status, change.new_status)]
    link = reverse("oms_policy:request-detail", args=[request.pk])
    context = {**_context(request=request, link=link), "change": change, "comment": change.comment.strip()}
    if event == "request_policy_issued":
        link = _my_policy_path()
        context["policy_url"] = f"{settings.PORTAL_BASE_URL}{link}"
    notify(
        user=request.applicant,
        event=event,
        context=context,
        dedupe_key=f"request-status:{change.pk}",
        link=link,
    )


def request_documents_reminder_notify(*, request: PolicyRequest, days_before: int) -> bool:
    """Remind the citizen that the documents are due soon; once per request, deadline and reminder.

    Returns whether a new inbox row was written (False: this reminder was sent already).
    """
    link = reverse("oms_policy:request-detail", args=[request.pk])
    key = f"request-reminder:{request.pk}:{request.documents_due_on.isoformat()}:{days_before}"
    if notification_exists(dedupe_key=key):
        return False
    notify(
        user=request.applicant,
        event=REMINDER_EVENT,
        context=_context(request=request, link=link),
        dedupe_key=key,
        link=link,
    )
    return True
