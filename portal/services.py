"""Health of the portal: the heartbeat a worker records and the readiness probe's checks."""

from __future__ import annotations

import socket

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "portal:heartbeat"


def heartbeat_record() -> str:
    """Store the time and host of the worker that ran it in the cache; return that time (ISO)."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, {"at": now, "host": socket.gethostname()}, timeout=None)
    return now


def readiness_check() -> dict[str, str]:
    """Check each part the portal needs to serve requests; returns {part: "ok" | error text}."""
    results: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        results["database"] = "ok"
    except Exception as error:  # any driver error means not ready
        results["database"] = f"error: {type(error).__name__}"
    if settings.REDIS_URL:
        results["broker"] = _redis_ping(settings.REDIS_URL)
    else:
        results["broker"] = "ok (in-process, no broker configured)"
    return results


def _redis_ping(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except Exception as error:
        return f"error: {type(error).__name__}"
