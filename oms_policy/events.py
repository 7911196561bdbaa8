"""What the citizen is told when their request moves: one `notify` per status change.

The texts live in templates/notifications/request_<status>/. The dedupe key is the status change,
so a retried transaction or task never sends the same news twice.
"""

from __future__ import annotations

from django.urls import reverse

from notifications.services import notify
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.numbers import request_number_display


def request_status_notify(*, request: PolicyRequest, change: StatusChange) -> None:
    """Write the inbox, e-mail and SMS rows for `change` (inside the caller's transaction)."""
    notify(
        user=request.applicant,
        event="request_status_changed",
        context={
            "request": request,
            "number": request_number_display(request.number),
            "change": change,
            "status_label": change.get_new_status_display(),
        },
        dedupe_key=f"request-status:{change.pk}",
        link=reverse("oms_policy:request-detail", args=[request.pk]),
    )
