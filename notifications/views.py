"""The citizen's inbox, the bell's actions, and the choice of e-mail and SMS per kind of event."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from notifications.constants import PreferenceEvent
from notifications.models import Notification
from notifications.selectors import notification_bell, notification_list, notification_preferences_for
from notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preferences_save,
)

INBOX_PAGE_SIZE = 20


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the page the bell was used on (same site only), else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    # Pages of INBOX_PAGE_SIZE: it showed the newest 50 and no way to the older ones.
    page = Paginator(notification_list(user=request.user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"notifications": page.object_list, "page_obj": page})


@never_cache
@login_required
@require_safe
def bell_panel(request: HttpRequest) -> HttpResponse:
    """The bell's newest messages, fetched by static/js/bell.js when the citizen opens the bell (every
    page would otherwise draw them, hidden, with a form each). `next`: the page the bell is on."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("notifications:inbox")
    recent = notification_bell(user=request.user).recent
    return render(request, "notifications/includes/_bell_items.html", {"recent": recent, "next": next_url})


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    if not notification_mark_read(user=request.user, notification_id=notification_id):
        raise Http404
    return _back(request, "notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(user=request.user)
    return _back(request, "notifications:inbox")


@login_required
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link (the request, «Мой полис») and count it as read."""
    notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    notification_mark_read(user=request.user, notification_id=notification.pk)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):  # links are ours: a path only
        return redirect(link)
    return redirect("notifications:inbox")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """«Настройка уведомлений»: e-mail and SMS per kind of request event; the inbox always gets them."""
    current = notification_preferences_for(user=request.user)
    if request.method == "POST":
        posted = request.POST
        choices = {event: (f"{event}:email" in posted, f"{event}:sms" in posted) for event in PreferenceEvent.values}
        notification_preferences_save(user=request.user, choices=choices)
        messages.success(request, _("Настройки уведомлений сохранены."))
        return redirect("notifications:preferences")
    rows = [
        {"event": event, "label": label, "email": current[event][0], "sms": current[event][1]}
        for event, label in PreferenceEvent.choices
    ]
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "has_phone": bool(request.user.phone), "has_email": bool(request.user.email)},
    )
