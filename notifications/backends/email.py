"""E-mail for the embedded default: print to the console and keep a copy under OUTBOX_DIR/email/."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend
from django.utils import timezone


class OutboxEmailBackend(ConsoleEmailBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        folder = Path(settings.OUTBOX_DIR) / "email"
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            now = timezone.now()
            record = {
                "channel": "email",
                "to": ", ".join(message.to),
                "subject": message.subject,
                "text": message.body,
                "sent_at": now.isoformat(),
            }
            name = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.json"
            (folder / name).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        return sent
