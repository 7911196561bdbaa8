"""The numbers the session-timeout dialog needs, read from settings so a test can make them short."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def session_timeout_config() -> dict[str, int]:
    idle = int(settings.SESSION_COOKIE_AGE)
    return {"idle_seconds": idle, "warning_seconds": min(int(settings.SESSION_TIMEOUT_WARNING_SECONDS), idle)}
