"""Fixed-window counters in the cache (Redis in production, shared by every process).

Lock-outs, SMS limits and failure counts all need "count this, forget it `window` seconds after
the first hit"; this is the one place that gets the add/incr race right.
"""

from __future__ import annotations

from django.core.cache import cache


def counter_hit(key: str, *, window_seconds: int) -> int:
    """Add one to the counter at `key` and return the new count.

    The counter starts at the first hit and is forgotten `window_seconds` later; hits in between
    don't extend it.
    """
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1
