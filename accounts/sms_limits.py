"""Rate limits on sending SMS: per phone, per IP, and per day overall (SMS pumping costs money).

Counters live in the cache (Redis in production), so every web process shares them. Beside each
counter the cache keeps when its window started, so a refusal can say how long is really left
instead of the whole window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portal.counters import counter_hit


@dataclass(frozen=True)
class SmsRateLimited(Exception):
    scope: str  # "phone", "ip" or "global"
    # Time left until the window that refused the send ends, rounded UP to a whole minute: a message
    # that divides by 60 then never promises a moment at which the send would still be refused.
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


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


def sms_send_allowed(*, phone: str, ip_address: str | None) -> None:
    """Raise SmsRateLimited if sending one more SMS now would pass a limit; else count it."""
    hour = 3600
    day_key = f"sms:day:{timezone.localdate().isoformat()}"
    left = _hit(f"sms:phone:{phone}", settings.SMS_LIMIT_PER_PHONE_PER_HOUR, hour)
    if left is not None:
        raise SmsRateLimited("phone", left)
    if ip_address:
        left = _hit(f"sms:ip:{ip_address}", settings.SMS_LIMIT_PER_IP_PER_HOUR, hour)
        if left is not None:
            raise SmsRateLimited("ip", left)
    left = _hit(day_key, settings.SMS_LIMIT_PER_DAY, 24 * hour)
    if left is not None:
        raise SmsRateLimited("global", left)
