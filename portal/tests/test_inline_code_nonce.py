"""The Content-Security-Policy allows inline <style> and <script> only with the page's nonce: an inline
block without it is silently dropped by the browser (the reviewer's scans once lost their layout so).
Every template is read, the portal's and any app's."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
INLINE = re.compile(r"<(style|script)\b([^>]*)>", re.IGNORECASE)


def _templates() -> list[Path]:
    found = list((ROOT / "templates").rglob("*.html"))
    for app in ("accounts", "oms_policy", "documents", "notifications", "support", "portal"):
        found += list((ROOT / app).glob("templates/**/*.html"))
    return found


def test_every_inline_style_and_script_carries_the_nonce():
    templates = _templates()
    assert len(templates) > 50
    offenders = []
    for path in templates:
        for match in INLINE.finditer(path.read_text(encoding="utf-8")):
            tag, attributes = match.group(1).lower(), match.group(2)
            if tag == "script" and re.search(r"\bsrc=", attributes):
                continue  # a file from our own origin: script-src 'self'
            if tag == "script" and re.search(r'type="application/(ld\+)?json"', attributes):
                continue  # data, not code
            if "csp_nonce" not in attributes:
                offenders.append(f"{path.relative_to(ROOT)}: <{tag}{attributes}>")
    assert offenders == []
