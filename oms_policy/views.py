"""The citizen's side of policy-update requests: list and request page (the form grows here)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from oms_policy import selectors


@never_cache
@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    requests = selectors.policy_request_list_for_applicant(applicant=request.user)
    return render(request, "oms_policy/request_list.html", {"requests": requests})


@never_cache
@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    policy_request = selectors.policy_request_get_for_applicant(applicant=request.user, request_id=request_id)
    return render(
        request,
        "oms_policy/request_detail.html",
        {"policy_request": policy_request, "changes": selectors.status_change_list(request=policy_request)},
    )
