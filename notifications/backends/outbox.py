"""The embedded default's outbox folder: one JSON file per SMS or e-mail 'sent'.

Both outbox backends write here and /dev/outbox/ (notifications.selectors.outbox_files_list) reads
it back, so the file layout lives in one place.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def outbox_file_write(*, channel: str, **fields: str) -> None:
    """Write OUTBOX_DIR/<channel>/<time>-<random>.json; names sort by time, newest last."""
    folder = Path(settings.OUTBOX_DIR) / channel
    folder.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    record = {"channel": channel, **fields, "sent_at": now.isoformat()}
    name = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.json"
    (folder / name).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
