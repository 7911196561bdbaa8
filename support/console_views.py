"""The operators' console: the queue, a conversation with the citizen's requests beside it, search.

Only support operators (StaffGroup.SUPPORT, or superusers) who passed the admin's TOTP second
factor get in: other sessions go to the admin login; other staff get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from support import selectors, services
from support.constants import AuthorRole, ConversationStatus
from support.forms import MessageForm, SearchForm, TransferForm
from support.views import message_json


def operator_required(view: Callable) -> Callable:
    @wraps(view)
    @never_cache
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not admin.site.has_permission(request):
            if request.user.is_authenticated and not request.user.is_staff:
                raise Http404  # a citizen: the console does not exist for them
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not selectors.is_support_operator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@operator_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    context = {
        "queue": list(selectors.conversation_queue()),
        "poll_seconds": settings.SUPPORT_POLL_SECONDS,
    }
    if request.GET.get("partial") == "1":
        return render(request, "support/console/includes/_queue_rows.html", context)
    return render(request, "support/console/queue.html", context)


@operator_required
@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.conversation_get_for_operator(conversation_id=conversation_id)
    history = selectors.message_list_after(conversation=conv, after=0)
    is_holder = conv.operator_id == request.user.pk
    if is_holder and history:
        services.conversation_mark_read(conversation=conv, role=AuthorRole.OPERATOR, seq=history[-1].seq)
    return render(
        request,
        "support/console/conversation.html",
        {
            "conversation": conv,
            "is_holder": is_holder,
            "is_open": conv.status == ConversationStatus.OPEN,
            "chat_messages": [message_json(m, viewer_role=AuthorRole.OPERATOR) for m in history],
            "last_seq": history[-1].seq if history else 0,
            "form": MessageForm(),
            "saved_answers": selectors.saved_answer_list(),
            "colleagues": selectors.support_operator_list().exclude(pk=request.user.pk),
            "citizen_requests": selectors.citizen_requests_masked(citizen=conv.citizen),
            "poll_seconds": settings.SUPPORT_POLL_SECONDS,
            "max_length": settings.SUPPORT_MESSAGE_MAX_LENGTH,
        },
    )


@operator_required
def conversation_messages(request: HttpRequest, conversation_id: int) -> JsonResponse:
    """GET: poll (`after=<seq>`); POST: the holder's reply."""
    conv = selectors.conversation_get_for_operator(conversation_id=conversation_id)
    if request.method == "POST":
        form = MessageForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"error": " ".join(str(e) for es in form.errors.values() for e in es)}, status=400)
        try:
            message, _created = services.message_post(
                conversation_id=conv.pk,
                author=request.user,
                role=AuthorRole.OPERATOR,
                text=form.cleaned_data["text"],
                client_key=form.cleaned_data["client_key"],
            )
        except services.ChatRefused as refused:
            return JsonResponse({"error": refused.message}, status=409 if refused.code == "not_holder" else 400)
        return JsonResponse(
            {"message": message_json(message, viewer_role=AuthorRole.OPERATOR, viewer=request.user)}, status=201
        )
    if request.method != "GET":
        return JsonResponse({"error": "method"}, status=405)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        raise Http404 from None
    batch = selectors.message_list_after(conversation=conv, after=after)
    if batch and conv.operator_id == request.user.pk:
        services.conversation_mark_read(conversation=conv, role=AuthorRole.OPERATOR, seq=batch[-1].seq)
    return JsonResponse(
        {
            "conversation": {
                "id": conv.pk,
                "status": conv.status,
                "operator": conv.operator.get_short_name() if conv.operator else "",
                "is_holder": conv.operator_id == request.user.pk,
            },
            "messages": [message_json(m, viewer_role=AuthorRole.OPERATOR, viewer=request.user) for m in batch],
        }
    )


@operator_required
@require_POST
def conversation_take(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.conversation_get_for_operator(conversation_id=conversation_id)
    if services.conversation_take(conversation_id=conv.pk, operator=request.user):
        messages.success(request, _("Беседа ваша. Гражданин видит, что вы подключились."))
    else:
        messages.error(request, _("Беседу уже взял другой оператор или она закрыта."))
    return redirect("support:console-conversation", conversation_id=conv.pk)


@operator_required
@require_POST
def conversation_transfer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.conversation_get_for_operator(conversation_id=conversation_id)
    form = TransferForm(request.POST)
    colleague = None
    if form.is_valid():
        colleague = get_user_model().objects.filter(pk=form.cleaned_data["to_operator"]).first()
    if colleague is None:
        messages.error(request, _("Выберите оператора, которому передать беседу."))
        return redirect("support:console-conversation", conversation_id=conv.pk)
    try:
        services.conversation_transfer(conversation_id=conv.pk, operator=request.user, to_operator=colleague)
    except services.ChatRefused as refused:
        messages.error(request, refused.message)
        return redirect("support:console-conversation", conversation_id=conv.pk)
    messages.success(request, _("Беседа передана: %(name)s.") % {"name": colleague.get_short_name()})
    return redirect("support:console")


@operator_required
@require_POST
def conversation_close(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.conversation_get_for_operator(conversation_id=conversation_id)
    if services.conversation_close(conversation_id=conv.pk, actor=request.user, role=AuthorRole.OPERATOR):
        messages.success(request, _("Беседа закрыта. Гражданину предложено оценить помощь."))
        return redirect("support:console")
    messages.error(request, _("Закрыть можно только открытую беседу, которую ведёте вы."))
    return redirect("support:console-conversation", conversation_id=conv.pk)


@operator_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results = selectors.message_search(query=form.cleaned_data["q"]) if form.is_valid() else []
    return render(request, "support/console/search.html", {"form": form, "results": results})
