"""Documents deadlines of policy-update requests: reminders before, and «Просрочена» after.

Both run from beat (oms_policy.tasks) and are safe to run any number of times, also at once: a
reminder is keyed by request, deadline and reminder; the move to EXPIRED goes through
policy_request_transition, which locks the row and refuses a request that has moved on.
"""

from __future__ import annotations

import datetime
import logging

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from oms_policy.constants import ActorRole, RequestStatus
from oms_policy.events import request_documents_reminder_notify
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.services import TransitionRefused, policy_request_transition

logger = logging.getLogger(__name__)

# Days before the deadline (the last day documents are accepted) on which the citizen is reminded.
REMINDER_DAYS = (3, 1)


def _reminder_due(*, days_left: int) -> int | None:
    """Which reminder is due with `days_left` to go: 3 for 3 or 2 days, 1 for 1 or 0 days.

    A window rather than an exact day, so a beat run missed on the day itself still reminds.
    """
    for index, days in enumerate(REMINDER_DAYS):
        later = REMINDER_DAYS[index + 1] if index + 1 < len(REMINDER_DAYS) else -1
        if later < days_left <= days:
            return days
    return None


def policy_request_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind citizens whose documents are due in 3 days or 1 day; returns how many were reminded.

    Before: nothing. After: at most one reminder per request, deadline and reminder (3 or 1 day)
    has been written (inbox, and e-mail/SMS as the citizen chose). A reminder is skipped when the
    documents were asked for already that close to the deadline: the request itself said the date.
    """
    today = today or timezone.localdate()
    asked_at = (
        StatusChange.objects.filter(request=OuterRef("pk"), new_status=RequestStatus.DOCUMENTS_REQUESTED)
        .order_by("-at")
        .values("at")[:1]
    )
    requests = (
        PolicyRequest.objects.filter(
            status=RequestStatus.DOCUMENTS_REQUESTED,
            documents_due_on__gte=today,
            documents_due_on__lte=today + datetime.timedelta(days=max(REMINDER_DAYS)),
        )
        .select_related("applicant")
        .annotate(documents_asked_at=Subquery(asked_at))
        .order_by("documents_due_on", "pk")
    )
    sent = 0
    for request in requests:
        days_before = _reminder_due(days_left=(request.documents_due_on - today).days)
        if days_before is None:
            continue
        if request.documents_asked_at is not None:
            asked_on = timezone.localdate(request.documents_asked_at)
            if (request.documents_due_on - asked_on).days <= days_before:
                continue
        sent += request_documents_reminder_notify(request=request, days_before=days_before)
    return sent


def policy_request_deadlines_expire(*, today: datetime.date | None = None) -> int:
    """Move every request whose documents deadline has passed to «Просрочена»; returns how many moved.

    Before: the request waits for documents and its `documents_due_on` is before `today`. After: it
    is EXPIRED by the system (one StatusChange, the citizen told in their language). A request the
    citizen moved meanwhile (documents sent, withdrawn) is left alone.
    """
    today = today or timezone.localdate()
    ids = list(
        PolicyRequest.objects.filter(status=RequestStatus.DOCUMENTS_REQUESTED, documents_due_on__lt=today).values_list(
            "pk", flat=True
        )
    )
    moved = 0
    for request_id in ids:
        try:
            policy_request_transition(
                request_id=request_id,
                new_status=RequestStatus.EXPIRED,
                role=ActorRole.SYSTEM,
                actor=None,
            )
        except TransitionRefused as refused:
            logger.info("request %s not expired: %s", request_id, refused.code)
            continue
        moved += 1
    return moved
