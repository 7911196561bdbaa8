from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notifications.selectors import outbox_files_list
from oms_policy.selectors import policy_active_for
from portal.services import readiness_check


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@login_required
def cabinet(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/cabinet.html", {"policy": policy_active_for(holder=request.user)})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a slow database can't kill pods."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and the broker answer; 503 naming the failing part when not."""
    checks = readiness_check()
    failing = [part for part, result in checks.items() if not result.startswith("ok")]
    body = {"status": "ok" if not failing else "unavailable", "checks": checks, "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
@require_GET
def dev_outbox(request: HttpRequest) -> HttpResponse:
    """Only while DEBUG is on: the SMS and e-mails 'sent' by the embedded default, newest first."""
    if not settings.SHOW_DEV_OUTBOX:
        raise Http404
    return render(request, "portal/dev_outbox.html", {"messages_sent": outbox_files_list(limit=50)})
