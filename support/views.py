"""The citizen's side of the support chat (page, send, poll, close, ratings) and the help page.

The page renders the messages it has; the script then asks `chat-messages?after=<last seq>` every
SUPPORT_POLL_SECONDS. Everything is read from the database, so any web process can answer.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from oms_policy.constants import RequestStatus
from oms_policy.selectors import policy_request_get_for_applicant
from support import selectors, services
from support.constants import AuthorRole, ConversationStatus, RatingPoint
from support.forms import MessageForm, RatingForm, RequestRatingForm
from support.hours import MOSCOW, support_is_open, support_next_opening
from support.models import Conversation, Message


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def message_json(message: Message, *, viewer_role: str, viewer=None) -> dict:
    """One message as the chat script draws it; the text stays plain text (the script uses textContent)."""
    if message.author_role == AuthorRole.OPERATOR:
        author = _("Оператор %(name)s") % {"name": services.operator_display_name(message.author)}
    elif message.author_role == AuthorRole.CITIZEN:
        author = _("Вы") if viewer_role == AuthorRole.CITIZEN else message.author.get_short_name()
    else:
        author = ""
    data = {
        "seq": message.seq,
        "role": message.author_role,
        "author": author,
        "text": message.text,
        # HTML <time datetime> allows at most three digits of a second: whole seconds here.
        "at": timezone.localtime(message.created_at).isoformat(timespec="seconds"),
        "time": formats.time_format(timezone.localtime(message.created_at), "H:i"),
    }
    if viewer is not None and message.author_id == viewer.pk and message.client_key:
        data["key"] = message.client_key
    return data


def hours_notice() -> str:
    """Empty at work; otherwise when operators are back (Moscow time)."""
    if support_is_open():
        return ""
    opening = timezone.localtime(support_next_opening(), MOSCOW)
    return _(
        "Операторы сейчас не работают. Они вернутся %(date)s в %(time)s по московскому времени и ответят на ваше "
        "сообщение. Напишите его сейчас: мы сообщим, когда придёт ответ."
    ) % {"date": formats.date_format(opening, "j E"), "time": formats.time_format(opening, "H:i")}


def _conversation_json(conversation: Conversation | None) -> dict | None:
    if conversation is None:
        return None
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "operator": services.operator_display_name(conversation.operator) if conversation.operator else "",
    }


@never_cache
@login_required
@require_GET
def chat(request: HttpRequest) -> HttpResponse:
    """«Поддержка»: the current conversation, the message box; `?request=<id>` ties a request to it.

    Support operators are sent to their console: the header link is the same for everyone, and an
    operator's own «citizen» conversation would land in the queue they work from.
    """
    if selectors.is_support_operator(request.user):
        return redirect("support:console")
    policy_request = None
    raw_request_id = request.GET.get("request", "")
    if raw_request_id:
        if not raw_request_id.isdigit():
            raise Http404
        policy_request = policy_request_get_for_applicant(applicant=request.user, request_id=int(raw_request_id))
    conversation = selectors.conversation_current_for_citizen(citizen=request.user)
    if conversation is not None and conversation.status == ConversationStatus.OPEN and policy_request is not None:
        conversation = services.conversation_open(citizen=request.user, request=policy_request)
    history = selectors.message_list_after(conversation=conversation, after=0) if conversation else []
    if conversation is not None and conversation.status == ConversationStatus.OPEN:
        services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=conversation.last_seq)
    can_rate = (
        conversation is not None
        and conversation.status == ConversationStatus.CLOSED
        and not conversation.ratings.exists()
    )
    return render(
        request,
        "support/chat.html",
        {
            "conversation": conversation,
            "chat_messages": [message_json(m, viewer_role=AuthorRole.CITIZEN) for m in history],
            "last_seq": history[-1].seq if history else 0,
            "form": MessageForm(),
            "rating_form": RatingForm() if can_rate else None,
            "policy_request": policy_request or (conversation.request if conversation else None),
            "hours_notice": hours_notice(),
            "poll_seconds": settings.SUPPORT_POLL_SECONDS,
            "max_length": settings.SUPPORT_MESSAGE_MAX_LENGTH,
        },
    )


@never_cache
@login_required
@require_POST
def chat_send(request: HttpRequest) -> HttpResponse:
    """Send a message; opens a conversation when there is no open one. JSON for the script, a redirect without it."""
    form = MessageForm(request.POST)
    policy_request = None
    raw_request_id = request.POST.get("request", "")
    if raw_request_id:
        if not raw_request_id.isdigit():
            raise Http404
        policy_request = policy_request_get_for_applicant(applicant=request.user, request_id=int(raw_request_id))
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _refused(request, error, status=400)
    try:
        conversation = services.conversation_open(citizen=request.user, request=policy_request)
        message, _created = services.message_post(
            conversation_id=conversation.pk,
            author=request.user,
            role=AuthorRole.CITIZEN,
            text=form.cleaned_data["text"],
            client_key=form.cleaned_data["client_key"],
        )
    except services.ChatRefused as refused:
        return _refused(request, refused.message, status=429 if refused.code == "rate_limited" else 400)
    if _wants_json(request):
        conversation.refresh_from_db()
        return JsonResponse(
            {
                "conversation": _conversation_json(conversation),
                "message": message_json(message, viewer_role=AuthorRole.CITIZEN, viewer=request.user),
            },
            status=201,
        )
    return redirect("support:chat")


def _refused(request: HttpRequest, text: str, *, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": text}, status=status)
    messages.error(request, text)
    return redirect("support:chat")


@never_cache
@login_required
@require_GET
def chat_messages(request: HttpRequest) -> JsonResponse:
    """Poll: the messages of the citizen's conversation numbered above `after`, and its status."""
    try:
        conversation_id = int(request.GET.get("conversation", ""))
        after = int(request.GET.get("after", "0"))
    except ValueError:
        raise Http404 from None
    conversation = selectors.conversation_get_for_citizen(citizen=request.user, conversation_id=conversation_id)
    batch = selectors.message_list_after(conversation=conversation, after=after)
    if batch:
        services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=batch[-1].seq)
    elif conversation.status == ConversationStatus.OPEN:
        services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=after)
    return JsonResponse(
        {
            "conversation": _conversation_json(conversation),
            "messages": [message_json(m, viewer_role=AuthorRole.CITIZEN, viewer=request.user) for m in batch],
            "hours_notice": hours_notice(),
        }
    )


@never_cache
@login_required
@require_POST
def chat_close(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_citizen(citizen=request.user, conversation_id=conversation_id)
    services.conversation_close(conversation_id=conversation.pk, actor=request.user, role=AuthorRole.CITIZEN)
    messages.success(request, _("Беседа закрыта. Оцените, пожалуйста, помощь поддержки."))
    return redirect("support:chat")


@never_cache
@login_required
@require_POST
def chat_rate(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_citizen(citizen=request.user, conversation_id=conversation_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Поставьте оценку от 1 до 5."))
        return redirect("support:chat")
    try:
        services.service_rating_submit(
            citizen=request.user,
            point=RatingPoint.CHAT,
            conversation=conversation,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except services.ChatRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Спасибо за оценку!"))
    return redirect("support:chat")


@never_cache
@login_required
def rate_request(request: HttpRequest, request_id: int) -> HttpResponse:
    """Rate the service at an end point of the citizen's request (submitted, approved, rejected, withdrawn).

    The request page links here (`support:rate-request`); `?point=` preselects the end point.
    """
    policy_request = policy_request_get_for_applicant(applicant=request.user, request_id=request_id)
    open_points = selectors.rating_points_open_for_request(citizen=request.user, request=policy_request)
    form = RequestRatingForm(
        request.POST or None, initial={"point": request.GET.get("point") or next(iter(open_points), "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.service_rating_submit(
                citizen=request.user,
                point=form.cleaned_data["point"],
                request=policy_request,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except services.ChatRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Спасибо за оценку!"))
            return redirect("oms_policy:request-detail", request_id=policy_request.pk)
    point = form["point"].value()
    return render(
        request,
        "support/rate_request.html",
        {
            "policy_request": policy_request,
            "form": form,
            "point_label": RatingPoint(point).label if point in RatingPoint.values else "",
            "can_rate": point in open_points,
        },
    )


# What each status means for the citizen (the help page); the labels are the statuses' own.
STATUS_HELP = {
    RequestStatus.SUBMITTED: gettext_lazy("Заявка получена и ждёт проверки."),
    RequestStatus.IN_REVIEW: gettext_lazy(
        "Сотрудник проверяет сведения и сканы. Обычно это занимает от 1 до 5 рабочих дней."
    ),
    RequestStatus.DOCUMENTS_REQUESTED: gettext_lazy(
        "Нужно донести документы или уточнить сведения. В уведомлении сказано, что именно и до какого срока; "
        "загрузите их на странице заявки."
    ),
    RequestStatus.APPROVED: gettext_lazy("Решение положительное; полис обновляется."),
    RequestStatus.POLICY_ISSUED: gettext_lazy(
        "Обновлённый полис в электронном виде — в личном кабинете. Его можно распечатать или сохранить."
    ),
    RequestStatus.REJECTED: gettext_lazy("В обновлении отказано; причины указаны на странице заявки."),
    RequestStatus.WITHDRAWN: gettext_lazy("Вы отменили заявку сами."),
    RequestStatus.EXPIRED: gettext_lazy("Документы не донесли в срок; подайте заявку заново."),
}


def help_page(request: HttpRequest) -> HttpResponse:
    """/help/: the hotline, the chat, and answers to the common questions of the service's instructions."""
    statuses = [(status.label, text) for status, text in STATUS_HELP.items()]
    return render(request, "support/help.html", {"statuses": statuses, "chat_url": reverse("support:chat")})
