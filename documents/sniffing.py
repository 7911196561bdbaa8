"""What a file really is, decided from its first bytes (never from its name or the browser's word).

One table for every upload of the portal: document scans (JPEG, PNG, PDF, see documents.inspection)
and identity videos (WebM, MP4, see documents.video_structure). Each caller then accepts only the
types it serves.
"""

from __future__ import annotations

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"
# An MP4 starts with a box: four bytes of size, then its type, and the first box is «ftyp».
MP4_BOX_TYPE = b"ftyp"

SNIFF_BYTES = 16
VIDEO_CONTENT_TYPES = frozenset({"video/webm", "video/mp4"})


def file_sniff(head: bytes) -> str | None:
    """The type of the file whose first bytes are `head`: image/jpeg, image/png, application/pdf,
    video/webm, video/mp4, or None."""
    if head.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if head.startswith(PNG_MAGIC):
        return "image/png"
    if head.startswith(PDF_MAGIC):
        return "application/pdf"
    if head.startswith(WEBM_MAGIC):
        return "video/webm"
    if head[4:8] == MP4_BOX_TYPE:
        return "video/mp4"
    return None
