"""What the SMS pages say when no SMS can be sent now: shared by registration and the contact change."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.security.sms_limits import SmsRateLimited


def sms_limit_message(error: SmsRateLimited) -> str:
    """Why no SMS can be sent now, with the time the limit itself reports as left (whole minutes, rounded up)."""
    minutes = error.retry_after_minutes
    if error.scope == "region":
        return _("На номера этой страны портал не отправляет SMS. Укажите мобильный номер российского оператора.")
    if error.scope == "global":
        return _(
            "Сейчас портал не может отправить SMS: исчерпан дневной лимит сообщений. Попробуйте завтра "
            "или позвоните на горячую линию %(hotline)s."
        ) % {"hotline": settings.HOTLINE_PHONE}
    return ngettext(
        "Слишком много SMS за короткое время. Новое сообщение можно будет запросить через %(minutes)d минуту.",
        "Слишком много SMS за короткое время. Новое сообщение можно будет запросить через %(minutes)d минут.",
        minutes,
    ) % {"minutes": minutes}


def code_resend_wait_message(seconds_left: int) -> str:
    return ngettext(
        "Новый код можно запросить через %(seconds)d секунду.",
        "Новый код можно запросить через %(seconds)d секунд.",
        seconds_left,
    ) % {"seconds": seconds_left}
