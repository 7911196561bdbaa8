"""The numbers the session-timeout dialog needs, read from settings so a test can make them short."""

from django import template
from django.conf import settings

from accounts.middleware import session_refresh_seconds

register = template.Library()


@register.simple_tag
def session_timeout_config() -> dict[str, int]:
    # The saved expiry may trail the last request by up to the refresh interval: count from the
    # earliest moment the server could end the session, never promise time it will not give.
    idle = int(settings.SESSION_COOKIE_AGE) - session_refresh_seconds()
    return {"idle_seconds": idle, "warning_seconds": min(int(settings.SESSION_TIMEOUT_WARNING_SECONDS), idle)}
