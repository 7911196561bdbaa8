"""Rate limits on sending SMS: per phone, per IP, and per day overall (SMS pumping costs money).

Counters live in the cache (Redis in production), so every web process shares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


@dataclass(frozen=True)
class SmsRateLimited(Exception):
    scope: str  # "phone", "ip" or "global"
    retry_after_seconds: int


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one send in `window` seconds; True when the limit is already used up."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def sms_send_allowed(*, phone: str, ip_address: str | None) -> None:
    """Raise SmsRateLimited if sending one more SMS now would pass a limit; else count it."""
    hour = 3600
    day_key = f"sms:day:{timezone.localdate().isoformat()}"
    if _hit(f"sms:phone:{phone}", settings.SMS_LIMIT_PER_PHONE_PER_HOUR, hour):
        raise SmsRateLimited("phone", hour)
    if ip_address and _hit(f"sms:ip:{ip_address}", settings.SMS_LIMIT_PER_IP_PER_HOUR, hour):
        raise SmsRateLimited("ip", hour)
    if _hit(day_key, settings.SMS_LIMIT_PER_DAY, 24 * hour):
        raise SmsRateLimited("global", 24 * hour)
