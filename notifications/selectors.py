from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from notifications.constants import PreferenceEvent
from notifications.models import Notification, NotificationPreference


class Bell:
    """The header's bell for one page, read only when a template asks: the unread count (one count
    on the (recipient, read_at) index — every citizen page shows it) and, for the bell's panel
    fetched when it is opened, the newest rows. Pages without the header (JSON, files, the admin)
    pay nothing."""

    def __init__(self, *, user, limit: int = 5) -> None:
        self._user, self._limit = user, limit
        self._unread: int | None = None
        self._rows: list[Notification] | None = None

    @property
    def unread(self) -> int:
        if self._unread is None:
            self._unread = Notification.objects.filter(recipient=self._user, read_at=None).count()
        return self._unread

    @property
    def recent(self) -> list[Notification]:
        if self._rows is None:
            self._rows = list(Notification.objects.filter(recipient=self._user).order_by("-created_at")[: self._limit])
        return self._rows


def notification_bell(*, user, limit: int = 5) -> Bell:
    return Bell(user=user, limit=limit)


def notification_list(*, user) -> QuerySet[Notification]:
    """The citizen's messages, newest first (the inbox shows them a page at a time)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_exists(*, dedupe_key: str) -> bool:
    return Notification.objects.filter(dedupe_key=dedupe_key).exists()


def notification_preferences_for(*, user) -> dict[str, tuple[bool, bool]]:
    """(email, sms) per PreferenceEvent; events without a stored choice have both on."""
    stored = {
        row.event: (row.email_enabled, row.sms_enabled)
        for row in NotificationPreference.objects.filter(user=user).only("event", "email_enabled", "sms_enabled")
    }
    return {event: stored.get(event, (True, True)) for event in PreferenceEvent.values}


def outbox_files_list(*, limit: int = 50) -> list[dict]:
    """The SMS and e-mails written by the embedded default's outbox backends, newest first."""
    root = Path(settings.OUTBOX_DIR)
    files = sorted(root.glob("*/*.json"), key=lambda path: path.name, reverse=True)[:limit]
    records = []
    for path in files:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            # An aware datetime, so the page shows it in the portal's time zone (Moscow), not UTC.
            record["sent_at"] = datetime.datetime.fromisoformat(record["sent_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        records.append(record)
    return records
