"""gunicorn's access log without secrets: tokens and SNILS are logged as short hashes.

E-mailed links carry their token in the path («Это был не я», the e-mail confirmation, the password
reset), and a search box may put a SNILS in a query string. An access log is read by more people
and kept longer than the database, so what it keeps of such a request is the method, the path with
every token-like segment replaced by «h:<first 12 hex of its sha256>» (enough to match two lines of
one request, useless to log in with), query values hashed the same way, and the status.
Procfile: ``gunicorn --logger-class accounts.security.access_log.RedactingAccessLogger``.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, urlsplit

from gunicorn.glogging import Logger

# A path segment that is a token (signed values, uid/token pairs) or a SNILS written with its
# separators. Eleven bare digits are left alone in paths: request numbers have that shape, and no
# URL of the portal takes a SNILS in its path. Every query value is hashed, whatever it looks like.
_SECRET_SEGMENT = re.compile(r"^[A-Za-z0-9_\-:.=]{20,}$|\d{3}-\d{3}-\d{3}[ -]\d{2}")


def _hashed(value: str) -> str:
    return "h:" + hashlib.sha256(value.encode()).hexdigest()[:12]


def redact_path(path: str) -> str:
    return "/".join(_hashed(part) if part and _SECRET_SEGMENT.search(part) else part for part in path.split("/"))


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(key)}={_hashed(value) if value else ''}" for key, value in pairs)


def redact_url(url: str) -> str:
    """A path, a path with a query, or a full URL (a Referer), with its secrets hashed."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    redacted = redact_path(parts.path)
    if parts.query:
        redacted += "?" + redact_query(parts.query)
    return f"{parts.scheme}://{parts.netloc}{redacted}" if parts.netloc else redacted


class RedactingAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "")
        query = redact_query(environ.get("QUERY_STRING") or "")
        target = f"{path}?{query}" if query else path
        atoms["r"] = f"{environ['REQUEST_METHOD']} {target} {environ['SERVER_PROTOCOL']}"
        atoms["U"] = path
        atoms["q"] = query
        atoms["f"] = redact_url(environ.get("HTTP_REFERER", "-"))
        for key in ("{referer}i", "{raw_uri}e", "{path_info}e", "{http_referer}e"):
            if key in atoms:
                atoms[key] = redact_url(str(atoms[key]))
        if "{query_string}e" in atoms:
            atoms["{query_string}e"] = query
        return atoms
