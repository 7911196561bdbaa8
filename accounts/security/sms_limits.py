"""Rate limits on sending SMS (SMS pumping costs money; a used-up budget locks people out).

Two budgets that never share a counter:

- ``SmsPurpose.LOGIN``: login and second-factor codes, sent only after the right password. A
  stranger who types a victim's number into the registration or contact-change form spends the
  other budget, so they can no longer stop the owner from getting a login code.
- ``SmsPurpose.CONTACT``: codes to a number nobody has proved yet (registration, a change of
  phone). Anyone can trigger these, so they are limited per phone, per IP, per number range
  («prefix»: the number without its last SMS_PREFIX_FREE_DIGITS digits — pumping walks a range)
  and per day. A flood from many numbers hits the prefix or IP limits first; the day cap of this
  budget never touches login codes.

Only numbers of SMS_ALLOWED_PHONE_REGIONS (the regions the portal serves) are sent to at all.
The first refusal by an IP, prefix or day limit in its window is logged at ERROR on this module's
logger (the alert operators watch). Counters live in the cache (Redis in production), shared by
every web process; beside each counter the cache keeps when its window started, so a refusal can
say how long is really left instead of the whole window.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from common.counters import counter_hit

logger = logging.getLogger(__name__)

_HOUR = 3600
_DAY = 24 * _HOUR


class SmsPurpose:
    LOGIN = "login"
    CONTACT = "contact"


@dataclass(frozen=True)
class SmsRateLimited(Exception):
    scope: str  # "phone", "ip", "prefix", "global" or "region"
    # Time left until the window that refused the send ends, rounded UP to a whole minute: a message
    # that divides by 60 then never promises a moment at which the send would still be refused.
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


def phone_region_served(phone: str) -> bool:
    """Whether `phone` (E.164) belongs to a region in SMS_ALLOWED_PHONE_REGIONS (+7 7xx is KZ, not RU)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(number) in settings.SMS_ALLOWED_PHONE_REGIONS


def _hit(key: str, limit: int, window: int) -> int | None:
    """Count one send in `window` seconds; None when allowed, else the seconds left (see SmsRateLimited)."""
    now = timezone.now().timestamp()
    # The window's start: written once with the counter, gone with it.
    count = counter_hit(key, window_seconds=window)
    if count == 1:
        cache.set(f"{key}:since", now, timeout=window)
    if count <= limit:
        return None
    since = cache.get(f"{key}:since")
    left = window - (now - float(since)) if isinstance(since, int | float) else window
    return min(window, max(60, math.ceil(left / 60) * 60))


def _refuse(scope: str, left: int, *, key: str, alert: bool) -> SmsRateLimited:
    if alert and cache.add(f"{key}:alerted", 1, timeout=left):
        logger.error("SMS limit reached: %s (%s); sends refused for %d s", scope, key, left)
    return SmsRateLimited(scope, left)


def sms_send_allowed(*, phone: str, ip_address: str | None, purpose: str = SmsPurpose.CONTACT) -> None:
    """Raise SmsRateLimited if sending one more SMS of `purpose` now would pass a limit; else count it."""
    if not phone_region_served(phone):
        raise SmsRateLimited("region", _DAY)
    day = timezone.localdate().isoformat()
    if purpose == SmsPurpose.LOGIN:
        checks = [
            ("phone", f"sms:login:phone:{phone}", settings.SMS_LOGIN_LIMIT_PER_PHONE_PER_HOUR, _HOUR, False),
            ("ip", f"sms:login:ip:{ip_address}", settings.SMS_LIMIT_PER_IP_PER_HOUR, _HOUR, True),
            ("global", f"sms:login:day:{day}", settings.SMS_LOGIN_LIMIT_PER_DAY, _DAY, True),
        ]
    else:
        prefix = phone[: -settings.SMS_PREFIX_FREE_DIGITS]
        checks = [
            ("phone", f"sms:phone:{phone}", settings.SMS_LIMIT_PER_PHONE_PER_HOUR, _HOUR, False),
            ("ip", f"sms:ip:{ip_address}", settings.SMS_LIMIT_PER_IP_PER_HOUR, _HOUR, True),
            ("prefix", f"sms:prefix:{prefix}", settings.SMS_LIMIT_PER_PREFIX_PER_HOUR, _HOUR, True),
            ("global", f"sms:day:{day}", settings.SMS_LIMIT_PER_DAY, _DAY, True),
        ]
    for scope, key, limit, window, alert in checks:
        if scope == "ip" and not ip_address:
            continue
        left = _hit(key, limit, window)
        if left is not None:
            raise _refuse(scope, left, key=key, alert=alert)


def sms_owner_notice_allowed(*, target: str) -> bool:
    """At most one «кто-то пытался…» notice a day per phone or address: the first call today is True.

    Typing a stranger's number into the registration form over and over must not turn the portal
    into a tool for flooding them, nor spend the SMS budget on it.
    """
    return bool(cache.add(f"sms:owner-notice:{target.lower()}", 1, timeout=_DAY))
