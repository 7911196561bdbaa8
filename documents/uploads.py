"""Refuse over-size uploads while they stream in, before they reach the disk.

A form can only check a file's size after Django has written the whole upload to a temporary file,
so a logged-in user could fill the disk with one request. This handler counts the bytes of each
file as they arrive and skips the file (the rest of its bytes are read and dropped) once it passes
settings.UPLOAD_MAX_BYTES. Other fields of the same form are still parsed, so nothing the citizen
typed is lost; the skipped field names are put on ``request.oversized_uploads`` (and the file names
on ``request.oversized_upload_names``) for the form to explain. The proxy in front
(client_max_body_size) should cap whole requests a little above this.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimitedUploadHandler(FileUploadHandler):
    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.received = 0
        if request is not None and not hasattr(request, "oversized_uploads"):
            request.oversized_uploads = set()
            request.oversized_upload_names = []

    @property
    def max_bytes(self) -> int:
        return settings.UPLOAD_MAX_BYTES

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            if self.request is not None:
                self.request.oversized_uploads.add(self.field_name)
                self.request.oversized_upload_names.append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class DocumentUploadHandler(SizeLimitedUploadHandler):
    """The scans' own, smaller limit (settings.DOCUMENT_MAX_BYTES); see documents.views.upload."""

    @property
    def max_bytes(self) -> int:
        return settings.DOCUMENT_MAX_BYTES
