from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from notifications.models import Notification


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def notification_list(*, user, limit: int = 50):
    return Notification.objects.filter(recipient=user).order_by("-created_at")[:limit]


def outbox_files_list(*, limit: int = 50) -> list[dict]:
    """The SMS and e-mails written by the embedded default's outbox backends, newest first."""
    root = Path(settings.OUTBOX_DIR)
    files = sorted(root.glob("*/*.json"), key=lambda path: path.name, reverse=True)[:limit]
    records = []
    for path in files:
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return records
