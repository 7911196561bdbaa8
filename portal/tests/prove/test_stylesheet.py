"""The stylesheet parses: every block is closed. Merges of the parts' sections once left two blocks
open, and every rule after them (the bell, the chat, the 24 px targets, the timeout dialog) silently
applied only when printing — axe found the 19 px link on the code step that way."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings


def test_every_block_of_portal_css_is_closed_at_the_top_level():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "portal.css").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    code = re.sub(r"\"[^\"]*\"|'[^']*'", '""', code)
    depth, lowest = 0, 0
    for char in code:
        depth += {"{": 1, "}": -1}.get(char, 0)
        lowest = min(lowest, depth)
    assert (depth, lowest) == (0, 0)
    # The last section's rules are at the top level, not inside @media print.
    assert re.search(r"^\.account-links a \{", code, flags=re.M)
