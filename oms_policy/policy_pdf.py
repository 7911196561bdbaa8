"""The electronic policy as a PDF: an A4 extract rendered by WeasyPrint, and its QR code.

WeasyPrint reads only local files here: `LocalOnlyURLFetcher` serves `data:` URIs and files under
static/ and refuses every other address (no network from a document that prints citizens' data,
whatever a name or a template may contain). The font is bundled (static/fonts/, DejaVu Sans cut down
to Latin + Cyrillic by `make fonts`): a full font makes WeasyPrint re-read large layout tables for
every document, the subset makes each PDF about twice as fast.
"""

from __future__ import annotations

import atexit
import base64
import datetime
import hashlib
import io
import json
import logging
import mimetypes
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

STATIC_DIR = Path(settings.BASE_DIR) / "static"
FONTS_DIR = STATIC_DIR / "fonts"
PDF_STYLESHEET = STATIC_DIR / "css" / "policy-pdf.css"
# WeasyPrint's layout is not thread-safe with a shared font configuration; the embedded default
# renders in web threads, so one document at a time per process.
_render_lock = threading.Lock()


def _weasyprint_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyURLFetcher(URLFetcher):
        """Serves `data:` URIs and files under `roots`; refuses everything else (logged)."""

        def __init__(self, roots: tuple[Path, ...]) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.roots = tuple(root.resolve() for root in roots)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_file() and any(path.is_relative_to(root) for root in self.roots):
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
            self.refused.append(url)
            logger.warning("policy PDF: refused to fetch %.100s", url)
            raise ValueError(f"not a local file: {url[:100]}")

    return LocalOnlyURLFetcher


def local_only_fetcher(*, roots: tuple[Path, ...] = (STATIC_DIR,)):
    """A WeasyPrint URL fetcher that never leaves the machine (see the module docstring)."""
    return _weasyprint_fetcher_class()(roots)


@lru_cache(maxsize=1)
def _stylesheet():
    """The PDF stylesheet with its @font-face fonts, loaded once per process."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    css = CSS(
        string=PDF_STYLESHEET.read_text(encoding="utf-8"),
        base_url=PDF_STYLESHEET.as_uri(),
        url_fetcher=local_only_fetcher(),
        font_config=font_config,
    )
    return font_config, css


# Free the fonts while WeasyPrint's C bindings are still loaded (its finaliser fails at shutdown).
atexit.register(_stylesheet.cache_clear)


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    # A fixed mask: choosing the best of the eight costs ~35 ms per code in pure Python (a tenth of a
    # whole PDF); every mask is valid and every reader decodes it.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=2, mask_pattern=2)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


QR_CACHE_SECONDS = 30 * 24 * 3600


def qr_data_uri(data: str, *, box_size: int = 8) -> str:
    """The QR code of `data` as a data: URI. The same link always gives the same picture, so it is kept
    in the cache: «Мой полис» shows it on every visit and drawing it is ~4 ms of pure-Python work. A
    cache that is down costs only that work, never the page."""
    key = f"qr:v1:{box_size}:{hashlib.sha256(data.encode()).hexdigest()}"
    try:
        cached = cache.get(key)
    except (OSError, RedisError):
        cached = None
    if cached:
        return cached
    value = "data:image/png;base64," + base64.b64encode(qr_png(data, box_size=box_size)).decode("ascii")
    try:
        cache.set(key, value, QR_CACHE_SECONDS)
    except (OSError, RedisError):
        logger.warning("qr: the cache is not answering; the code is drawn on every view meanwhile")
    return value


def content_digest(*, document_id: str, content: dict[str, Any]) -> str:
    """SHA-256 of what the PDF says (the document id and its fields, canonical JSON): printed on it.

    A PDF cannot hold the digest of its own bytes; this digest lets anyone recompute, from the facts
    on the paper, that they are the facts the portal issued under this id.
    """
    canonical = json.dumps({"document_id": document_id, **content}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_SEX_LABELS = {"male": "мужской", "female": "женский"}


def _date_display(value: str | None) -> str:
    return datetime.date.fromisoformat(value).strftime("%d.%m.%Y") if value else ""


def enp_display(enp: str) -> str:
    return " ".join(enp[index : index + 4] for index in range(0, len(enp), 4))


def policy_pdf_render(*, content: dict[str, Any], document_id: str, content_sha256: str, verify_url: str) -> bytes:
    """Render the extract for `content` (see services.policy_issue) as an unsigned A4 PDF."""
    from weasyprint import HTML

    with translation.override("ru"):
        html = render_to_string(
            "oms_policy/policy_pdf.html",
            {
                "content": content,
                "enp": enp_display(content.get("enp", "")),
                "sex": _SEX_LABELS.get(content.get("sex", ""), ""),
                "birth_date": _date_display(content.get("birth_date")),
                "issued_on": _date_display(content.get("issued_on")),
                "document_id": document_id,
                "content_sha256": content_sha256,
                "verify_url": verify_url,
                "qr": qr_data_uri(verify_url),
            },
        )
    with _render_lock:
        font_config, css = _stylesheet()
        return HTML(string=html, base_url=PDF_STYLESHEET.as_uri(), url_fetcher=local_only_fetcher()).write_pdf(
            stylesheets=[css], font_config=font_config
        )
