"""Sending a private file (a scan, a preview, a verification video) to someone a view has already checked.

Never cached, never sniffed, with a single byte Range for video players. With
settings.DOCUMENT_X_ACCEL_PREFIX set and files on the local disk, the bytes are left to the web
server in front (nginx `internal` location): the response carries only `X-Accel-Redirect`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.encoding import iri_to_uri
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def _stream(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        left = length
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def private_file_response(
    *,
    field: FieldFile,
    content_type: str,
    filename: str,
    as_attachment: bool,
    range_header: str = "",
    x_accel_prefix: str = "",
) -> HttpResponse:
    """The file of `field` with Content-Disposition, `nosniff` and `no-store`; 206/416 for a Range."""
    size = field.size
    backend = getattr(field.storage, "backend", field.storage)
    if x_accel_prefix and isinstance(backend, FileSystemStorage):
        response: HttpResponse = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = iri_to_uri(x_accel_prefix.rstrip("/") + "/" + field.name)
    else:
        match = _RANGE.match(range_header.strip()) if range_header else None
        if match and (match[1] or match[2]):
            if match[1]:
                start = int(match[1])
                end = min(int(match[2]), size - 1) if match[2] else size - 1
            else:
                start, end = max(0, size - int(match[2])), size - 1
            if start >= size or start > end:
                response = HttpResponse(status=416)
                response["Content-Range"] = f"bytes */{size}"
            else:
                response = StreamingHttpResponse(
                    _stream(field.open("rb"), start, end - start + 1), status=206, content_type=content_type
                )
                response["Content-Range"] = f"bytes {start}-{end}/{size}"
                response["Content-Length"] = str(end - start + 1)
        else:
            response = FileResponse(field.open("rb"), content_type=content_type)
            response["Content-Length"] = str(size)
        response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_x_accel_prefix() -> str:
    return settings.DOCUMENT_X_ACCEL_PREFIX
