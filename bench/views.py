"""The floor pages: what stock Django costs on this machine, measured in the same run as the portal.

Routed only while BENCH_FLOOR_ENABLED is on (portal/urls.py); `make bench` turns it on for its own
servers. Never on in production by default.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from oms_policy.models import PolicyRequest


def bare(request: HttpRequest) -> HttpResponse:
    """A bare Django view: routing and a response, nothing else."""
    return HttpResponse(b"ok", content_type="text/plain")


@never_cache
@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """A logged-in page: the database session, one indexed query and a 5 KB template."""
    latest = PolicyRequest.objects.filter(applicant=request.user).order_by("-created_at").first()
    return render(request, "bench/floor.html", {"latest": latest})
