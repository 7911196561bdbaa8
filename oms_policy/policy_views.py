"""«Мой полис» in the cabinet (the current policy, its PDF, earlier versions) and the public
verification page that the QR code on the PDF opens."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import storages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.login.lockout import client_ip
from common.counters import counter_hit
from oms_policy import selectors
from oms_policy.constants import VerifyState
from oms_policy.policy_pdf import enp_display, qr_data_uri
from oms_policy.policy_services import policy_verify_url

OFFLINE_CACHE_NAME = "oms-policy-v1"  # the service worker's cache (templates/portal/sw.js)


@never_cache
@login_required
@require_GET
def my_policy(request: HttpRequest) -> HttpResponse:
    documents = list(selectors.policy_document_list_for(holder=request.user))
    current = next((document for document in documents if document.is_current), None)
    context = {
        "policy": selectors.policy_active_for(holder=request.user),
        "document": current,
        "earlier": [document for document in documents if document is not current],
        "offline_cache_name": OFFLINE_CACHE_NAME,
    }
    if current is not None:
        verify_url = policy_verify_url(document_id=current.pk)
        birth_date = current.content.get("birth_date")
        context.update(
            enp=enp_display(current.content.get("enp", "")),
            birth_date=datetime.date.fromisoformat(birth_date) if birth_date else None,
            verify_url=verify_url,
            qr=qr_data_uri(verify_url),
        )
    return render(request, "oms_policy/my_policy.html", context)


@never_cache
@login_required
@require_GET
def document_pdf(request: HttpRequest, document_id) -> FileResponse:
    document = selectors.policy_document_get_for_holder(holder=request.user, document_id=document_id)
    enp = document.content.get("enp", "")
    response = FileResponse(
        storages["private"].open(document.file.name, "rb"),
        as_attachment=True,
        filename=f"polis-oms-{enp}-v{document.version}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: valid / replaced / unknown, with the holder's masked name and year of birth only.

    Rate limited per client address (every look-up counts, found or not), so the ids can't be
    guessed by brute force even though they are random uuids already.
    """
    hits = counter_hit(f"policy-verify:{client_ip(request) or 'unknown'}", window_seconds=60)
    if hits > settings.POLICY_VERIFY_LIMIT_PER_MINUTE:
        response = render(request, "oms_policy/verify.html", {"limited": True}, status=429)
        response["Retry-After"] = "60"
    else:
        result = selectors.policy_document_verify(token=token[:64])
        status = 404 if result.state == VerifyState.UNKNOWN else 200
        response = render(request, "oms_policy/verify.html", {"result": result, "states": VerifyState}, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
