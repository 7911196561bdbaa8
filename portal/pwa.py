"""The installable web app: the manifest and the service worker, served from the site root.

The worker's scope is the whole site ("/"), so it must be served at /sw.js (a worker under
/static/ could only control /static/). It keeps exactly one page for offline use — «Мой полис»,
with its QR code — and the static files that page uses; nothing else is cached.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from oms_policy.policy_views import OFFLINE_CACHE_NAME


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": _("Портал ОМС"),
        "short_name": _("Полис ОМС"),
        "description": _("Полис ОМС онлайн: заявки и электронный полис"),
        "lang": "ru",
        "start_url": reverse("policy:my-policy"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f2f5f9",
        "theme_color": "#0d4cd3",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "portal/sw.js",
        # JSON literals (a JavaScript file, not HTML: no further escaping applies).
        {
            "cache_name": mark_safe(json.dumps(OFFLINE_CACHE_NAME)),  # noqa: S308  # nosec B308 B703
            "offline_pages": mark_safe(json.dumps([reverse("policy:my-policy")])),  # noqa: S308  # nosec B308 B703
            "static_prefix": mark_safe(json.dumps(static(""))),  # noqa: S308  # nosec B308 B703
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    return response
