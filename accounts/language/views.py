"""The language switch in the footer: Django's set_language, and the account remembers the choice."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language

from accounts.language.services import user_language_set


def language_set(request: HttpRequest) -> HttpResponse:
    """Django's own view sets the cookie and redirects; a signed-in person's messages follow too."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response
