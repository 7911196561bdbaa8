"""What the static error page (500.html) needs without a request context.

Django renders 500.html with an empty context, no context processors and no database on purpose
(the error may be the database), so the hotline number is read straight from settings here.
"""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def hotline_phone() -> str:
    return str(getattr(settings, "HOTLINE_PHONE", ""))


@register.simple_tag
def hotline_tel() -> str:
    """The number for a tel: link, without the spaces and dashes people read it with."""
    return "".join(ch for ch in hotline_phone() if ch.isdigit() or ch == "+")
