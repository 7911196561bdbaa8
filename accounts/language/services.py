"""The language a person reads the portal's messages in (User.language)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from accounts.models import User


def user_language_set(*, user: User, language: str) -> bool:
    """Remember `language` as the one every later message to `user` is written in.

    Before: `language` is one of settings.LANGUAGES (anything else is ignored). After: the row holds
    it; returns whether it changed. Schedules no tasks.
    """
    if language not in dict(settings.LANGUAGES):
        return False
    changed = User.objects.filter(pk=user.pk).exclude(language=language).update(language=language)
    user.language = language
    return changed == 1


def user_language_from_request(*, request: HttpRequest) -> str:
    """The page language the person is using (LocaleMiddleware's choice), as a code of LANGUAGES."""
    language = getattr(request, "LANGUAGE_CODE", "") or translation.get_language() or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
