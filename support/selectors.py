"""Reads for the support chat: who may operate, the queue, messages after a number, search, ratings."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.shortcuts import get_object_or_404

from accounts.constants import StaffGroup
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.numbers import request_number_display
from oms_policy.selectors import name_mask
from support.constants import REQUEST_POINT_STATUS, AuthorRole, ConversationStatus, RatingPoint
from support.models import Conversation, Message, SavedAnswer, ServiceRating

MESSAGES_PER_POLL = 200
SEARCH_RESULTS = 50


def is_support_operator(user) -> bool:
    """Active staff in the support group, or a superuser."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=StaffGroup.SUPPORT).exists()


def support_operator_list() -> QuerySet:
    """Colleagues a conversation can be handed to."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__name=StaffGroup.SUPPORT) | Q(is_superuser=True))
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def conversation_get_for_citizen(*, citizen, conversation_id: int) -> Conversation:
    """The citizen's own conversation, or Http404 (another citizen's does not exist for them)."""
    return get_object_or_404(
        Conversation.objects.select_related("operator", "request"), pk=conversation_id, citizen=citizen
    )


def conversation_current_for_citizen(*, citizen) -> Conversation | None:
    """The open conversation, else the last closed one (the page shows it with its rating form)."""
    conversations = Conversation.objects.filter(citizen=citizen).select_related("operator", "request")
    return (
        conversations.filter(status=ConversationStatus.OPEN).first()
        or conversations.order_by("-created_at", "-pk").first()
    )


def conversation_get_for_operator(*, conversation_id: int) -> Conversation:
    return get_object_or_404(Conversation.objects.select_related("citizen", "operator", "request"), pk=conversation_id)


def message_list_after(*, conversation: Conversation, after: int) -> list[Message]:
    """Messages numbered above `after`, in order; at most MESSAGES_PER_POLL (the client asks again)."""
    return list(
        Message.objects.filter(conversation=conversation, seq__gt=max(after, 0))
        .select_related("author")
        .order_by("seq")[:MESSAGES_PER_POLL]
    )


def conversation_queue(*, operator=None) -> QuerySet[Conversation]:
    """Open conversations, the one waiting longest for an answer first, with the operator's unread count.

    `operator` given: only the conversations that operator holds.
    """
    queue = (
        Conversation.objects.filter(status=ConversationStatus.OPEN, last_seq__gt=0)
        .select_related("citizen", "operator", "request")
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__author_role=AuthorRole.CITIZEN, messages__seq__gt=F("operator_read_seq")),
            )
        )
        .order_by(F("waiting_since").asc(nulls_last=True), "created_at", "pk")
    )
    if operator is not None:
        queue = queue.filter(operator=operator)
    return queue


def message_search(*, query: str) -> QuerySet[Message]:
    """Staff search over every message text (case-insensitive substring), newest first."""
    query = query.strip()
    if len(query) < 2:
        return Message.objects.none()
    return (
        Message.objects.filter(text__icontains=query)
        .select_related("conversation", "conversation__citizen", "author")
        .order_by("-created_at", "-pk")[:SEARCH_RESULTS]
    )


def saved_answer_list() -> QuerySet[SavedAnswer]:
    return SavedAnswer.objects.filter(is_active=True).order_by("title")


def _mask_number(number: str) -> str:
    return f"•••{number[-4:]}" if len(number) > 4 else "•" * len(number)


@dataclass(frozen=True)
class MaskedRequest:
    pk: int
    number: str
    status_label: str
    change_kind_label: str
    holder: str
    policy_number: str
    submitted_at: object
    decision_due_on: object


def citizen_requests_masked(*, citizen) -> list[MaskedRequest]:
    """The citizen's requests as an operator may see them: number, status, kind, initials, last digits."""
    rows = PolicyRequest.objects.filter(applicant=citizen).exclude(status="draft").order_by("-created_at")[:20]
    return [
        MaskedRequest(
            pk=row.pk,
            number=request_number_display(row.number) if row.number else "",
            status_label=row.get_status_display(),
            change_kind_label=row.get_change_kind_display(),
            holder=name_mask(last_name=row.last_name, first_name=row.first_name, patronymic=row.patronymic),
            policy_number=_mask_number(row.current_policy_number),
            submitted_at=row.submitted_at,
            decision_due_on=row.decision_due_on,
        )
        for row in rows
    ]


def rating_points_open_for_request(*, citizen, request: PolicyRequest) -> list[str]:
    """The end points this request has reached that its applicant has not rated yet."""
    if request.applicant_id != citizen.pk:
        return []
    reached = set(
        StatusChange.objects.filter(request=request, new_status__in=REQUEST_POINT_STATUS.values()).values_list(
            "new_status", flat=True
        )
    )
    rated = set(ServiceRating.objects.filter(request=request).values_list("point", flat=True))
    return [point for point, status in REQUEST_POINT_STATUS.items() if status in reached and point not in rated]


def rating_weekly_summary() -> list[dict]:
    """Per ISO week (Monday, Moscow time) and point: how many ratings and their average."""
    return list(
        ServiceRating.objects.annotate(week=TruncWeek("created_at"))
        .values("week", "point")
        .annotate(count=Count("pk"), average=Avg("score"))
        .order_by("-week", "point")
    )


def rating_staff_summary() -> list[dict]:
    """Per reviewer/operator: how many ratings, average, for requests and for chats."""
    return list(
        ServiceRating.objects.filter(staff__isnull=False)
        .values("staff", "staff__last_name", "staff__first_name", "staff__email")
        .annotate(
            count=Count("pk"),
            average=Avg("score"),
            chat_count=Count("pk", filter=Q(point=RatingPoint.CHAT)),
            chat_average=Avg("score", filter=Q(point=RatingPoint.CHAT)),
            request_count=Count("pk", filter=~Q(point=RatingPoint.CHAT)),
            request_average=Avg("score", filter=~Q(point=RatingPoint.CHAT)),
        )
        .order_by("staff__last_name", "staff__first_name", "staff")
    )
