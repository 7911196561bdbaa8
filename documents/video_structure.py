"""Is an upload a playable WebM or MP4, not just a file that starts with a video's first bytes?

The magic bytes alone (1A 45 DF A3 for WebM, «ftyp» for MP4) are four bytes anyone can put in front
of anything. These checks walk the container's structure as a player does before it can play:

- WebM (Matroska): an EBML header whose DocType is «webm» (or «matroska»), then a Segment that
  holds an Info and a Tracks element — a player cannot decode a frame without the track list.
  A browser's MediaRecorder writes Segment and Cluster with «unknown size», which is allowed.
- MP4 (ISO BMFF): a chain of top-level boxes that starts with «ftyp», whose sizes add up exactly
  to the file, and that contains «moov» (the track table) and media data («mdat» or fragments).

Only the structure is read (at most WEBM_HEAD_BYTES for WebM; box headers for MP4), never decoded.
"""

from __future__ import annotations

from typing import IO

WEBM_HEAD_BYTES = 1024 * 1024

_EBML = 0x1A45DFA3
_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TRACKS = 0x1654AE6B
_CLUSTER = 0x1F43B675
_UNKNOWN = -1


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at `pos`: (value, next position) or None when malformed."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = _UNKNOWN
    return value, pos + length


def _element(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(id, size or _UNKNOWN, start of the data) of the element at `pos`, or None."""
    head = _vint(data, pos, keep_marker=True)
    if head is None:
        return None
    size = _vint(data, head[1], keep_marker=False)
    if size is None:
        return None
    return head[0], size[0], size[1]


def webm_is_playable(head: bytes) -> bool:
    header = _element(head, 0)
    if header is None or header[0] != _EBML or header[1] in (_UNKNOWN, 0):
        return False
    _id, header_size, start = header
    end = start + header_size
    doctype = b""
    pos = start
    while pos < end:
        child = _element(head, pos)
        if child is None or child[1] == _UNKNOWN or child[2] + child[1] > end:
            return False
        if child[0] == _DOCTYPE:
            doctype = head[child[2] : child[2] + child[1]]
        pos = child[2] + child[1]
    if doctype not in (b"webm", b"matroska"):
        return False
    segment = _element(head, end)
    if segment is None or segment[0] != _SEGMENT:
        return False
    pos = segment[2]
    seen: set[int] = set()
    while pos < len(head):
        child = _element(head, pos)
        if child is None:
            break
        seen.add(child[0])
        if child[0] == _CLUSTER or child[1] == _UNKNOWN:
            break
        pos = child[2] + child[1]
    return {_INFO, _TRACKS} <= seen


def mp4_is_playable(stream: IO[bytes], size: int) -> bool:
    stream.seek(0)
    pos = 0
    kinds: list[bytes] = []
    while pos < size:
        stream.seek(pos)
        header = stream.read(16)
        if len(header) < 8:
            return False
        box_size = int.from_bytes(header[:4], "big")
        kind = header[4:8]
        if not all(32 <= byte < 127 for byte in kind):
            return False
        if box_size == 1:
            if len(header) < 16:
                return False
            box_size = int.from_bytes(header[8:16], "big")
        elif box_size == 0:
            box_size = size - pos
        if box_size < 8 or pos + box_size > size:
            return False
        kinds.append(kind)
        pos += box_size
    return bool(kinds) and kinds[0] == b"ftyp" and b"moov" in kinds and (b"mdat" in kinds or b"moof" in kinds)


def video_is_playable(stream: IO[bytes], *, content_type: str, size: int) -> bool:
    """Whether `stream` (already sniffed as `content_type`) has the structure a player needs."""
    try:
        if content_type == "video/webm":
            stream.seek(0)
            return webm_is_playable(stream.read(WEBM_HEAD_BYTES))
        if content_type == "video/mp4":
            return mp4_is_playable(stream, size)
        return False
    finally:
        stream.seek(0)
