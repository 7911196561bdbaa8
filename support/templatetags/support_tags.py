"""`{% support_hours %}`: the chat's working hours in words, for the footer, the help page and the chat."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from support.hours import support_hours

register = template.Library()

_DAY_NAMES = {
    1: gettext_lazy("пн"),
    2: gettext_lazy("вт"),
    3: gettext_lazy("ср"),
    4: gettext_lazy("чт"),
    5: gettext_lazy("пт"),
    6: gettext_lazy("сб"),
    7: gettext_lazy("вс"),
}


@register.simple_tag
def support_hours_text() -> str:
    hours = support_hours()
    if hours.days == frozenset(range(1, 8)):
        days = _("ежедневно")
    elif hours.days == frozenset(range(1, 6)):
        days = _("по будням")
    else:
        days = ", ".join(str(_DAY_NAMES[day]) for day in sorted(hours.days))
    return _("%(days)s с %(opens)s до %(closes)s (мск)") % {
        "days": days,
        "opens": f"{hours.opens:%H:%M}",
        "closes": f"{hours.closes:%H:%M}",
    }


@register.simple_tag(takes_context=True)
def request_rating_points(context, policy_request) -> list[tuple[str, str]]:
    """The end points of `policy_request` its applicant (the viewer) may still rate: [(point, label)]."""
    from support.constants import RatingPoint
    from support.selectors import rating_points_open_for_request

    user = context["request"].user
    if not user.is_authenticated:
        return []
    return [
        (point, RatingPoint(point).label)
        for point in rating_points_open_for_request(citizen=user, request=policy_request)
    ]
