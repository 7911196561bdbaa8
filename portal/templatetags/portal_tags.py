"""Template helpers for accessible forms (templates/includes/_field.html).

Screen readers announce a field's hint and error only when the input points at them, so the
widget is rendered with ``aria-describedby`` naming the ids _field.html gives them and with
``aria-invalid`` while it has errors. The ids are ``<id>-hint`` and ``<id>-error`` — forms that set
``aria-describedby`` themselves (accounts.verification.forms) point at the same ids.
"""

from __future__ import annotations

import datetime

from django import template
from django.forms import BoundField
from django.utils import timezone
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def field_describedby(field: BoundField) -> str:
    """The ids of the hint and the error message shown for `field`, space-separated ('' if none)."""
    if not field.auto_id:
        return ""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.filter
def accessible_widget(field: BoundField) -> SafeString:
    """Render the widget linked to its hint and error, marked invalid while it has errors.

    An ``aria-describedby`` the form's author set on the widget is kept in front of ours. For a
    group of inputs (radio buttons, checkboxes) the fieldset carries the description instead.
    """
    attrs: dict[str, str] = {}
    describedby = field_describedby(field)
    if describedby and not field.use_fieldset:
        own = field.field.widget.attrs.get("aria-describedby", "").split()
        attrs["aria-describedby"] = " ".join(dict.fromkeys([*own, *describedby.split()]))
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def html_datetime(value: datetime.datetime | str | None) -> str:
    """A moment as HTML's <time datetime> wants it: whole seconds and the offset, in Moscow time.

    Django's «c» format and isoformat() add microseconds (six digits), which HTML does not allow
    (at most three); a stored ISO string is read first.
    """
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()
