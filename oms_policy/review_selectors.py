"""Reads for review and the support look-up: the request by number, its timeline, what changed since
the last submission, the citizen's earlier requests, masked personal data, the dashboard figures."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from accounts.services import mask_phone
from oms_policy.constants import RequestStatus
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.numbers import NUMBER_LENGTH, request_number_is_valid, request_number_normalize
from oms_policy.review_models import CallNote, InternalNote
from oms_policy.review_services import review_overdue_since

# The fields compared between a request and the one it resubmits, in page order.
COMPARED_FIELDS = (
    "change_kind",
    "current_policy_kind",
    "current_policy_series",
    "current_policy_number",
    "last_name",
    "first_name",
    "patronymic",
    "sex",
    "birth_date",
    "region",
    "new_insurance_company",
    "smo_change_reason",
    "corrections",
)


def policy_request_find_by_number(*, typed: str) -> tuple[str, PolicyRequest | None]:
    """The request whose number is `typed` with or without spaces and dashes: (digits, request or None).

    A number that fails its check digit is not looked for (a misheard digit finds nothing, never
    someone else's request). One indexed query at most.
    """
    digits = request_number_normalize(typed)[: NUMBER_LENGTH + 5]
    if not request_number_is_valid(digits):
        return digits, None
    request = PolicyRequest.objects.select_related("applicant").filter(number=digits).first()
    return digits, request


def status_timeline(*, request: PolicyRequest) -> list[StatusChange]:
    return list(StatusChange.objects.filter(request=request).select_related("actor").order_by("at", "pk"))


def policy_request_earlier(*, request: PolicyRequest, limit: int = 20) -> list[PolicyRequest]:
    """The same citizen's other submitted requests, newest first."""
    return list(
        PolicyRequest.objects.filter(applicant_id=request.applicant_id, submitted_at__isnull=False)
        .exclude(pk=request.pk)
        .order_by("-submitted_at")[:limit]
    )


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def _shown(request: PolicyRequest, name: str) -> str:
    field = PolicyRequest._meta.get_field(name)
    value = getattr(request, name)
    if value in (None, "", {}, []):
        return "—"
    if field.choices:
        return str(getattr(request, f"get_{name}_display")())
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dict):
        return "; ".join(
            f"{key}: {item.get('new', item) if isinstance(item, dict) else item}" for key, item in value.items()
        )
    return str(value)


def resubmission_changes(*, request: PolicyRequest) -> list[FieldChange]:
    """What differs from the request this one resubmits (empty when it is a first submission)."""
    previous = request.resubmission_of
    if previous is None:
        return []
    changes = []
    for name in COMPARED_FIELDS:
        old, new = _shown(previous, name), _shown(request, name)
        if old != new:
            changes.append(FieldChange(label=str(PolicyRequest._meta.get_field(name).verbose_name), old=old, new=new))
    return changes


def internal_note_list(*, request: PolicyRequest) -> list[InternalNote]:
    return list(InternalNote.objects.filter(request=request).select_related("author").order_by("created_at", "pk"))


def call_note_list(*, request: PolicyRequest) -> list[CallNote]:
    return list(CallNote.objects.filter(request=request).select_related("author").order_by("created_at", "pk"))


def name_masked(*, first_name: str, patronymic: str, last_name: str) -> str:
    """«Анна Сергеевна И.»: enough to greet the caller and check them, not to identify them."""
    initial = f"{last_name[:1]}." if last_name else ""
    return " ".join(part for part in (first_name, patronymic, initial) if part) or "—"


def phone_masked(*, phone) -> str:
    return mask_phone(phone) if phone else "—"


@dataclass(frozen=True)
class DashboardFigures:
    per_status: list[tuple[str, int]]
    overdue: int
    decided_this_week: int
    median_hours_to_decision: float | None


def review_dashboard(*, now: datetime.datetime | None = None) -> DashboardFigures:
    """Requests per status, overdue requests, median time from submission to decision this week."""
    now = now or timezone.now()
    counts = dict(
        PolicyRequest.objects.exclude(status=RequestStatus.DRAFT)
        .values_list("status")
        .annotate(total=Count("pk"))
        .values_list("status", "total")
    )
    per_status = [(str(label), counts.get(value, 0)) for value, label in RequestStatus.choices if value != "draft"]
    overdue = PolicyRequest.objects.filter(
        status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW], submitted_at__lt=review_overdue_since(now=now)
    ).count()
    today = timezone.localdate(now)
    week_start = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=today.weekday()), datetime.time.min)
    )
    durations = [
        (decided - submitted).total_seconds() / 3600
        for submitted, decided in PolicyRequest.objects.filter(
            decided_at__gte=week_start, submitted_at__isnull=False
        ).values_list("submitted_at", "decided_at")
    ]
    return DashboardFigures(
        per_status=per_status,
        overdue=overdue,
        decided_this_week=len(durations),
        median_hours_to_decision=round(statistics.median(durations), 1) if durations else None,
    )
