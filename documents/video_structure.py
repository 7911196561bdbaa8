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

import struct
import tempfile
from typing import IO

from django.core.files import File

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


# --- the missing duration of a MediaRecorder WebM ---------------------------------------------------
#
# A browser's MediaRecorder streams its WebM as it records, so it never writes the Segment's
# Duration: players then show no length (or «Infinity») and cannot seek. The duration is the
# latest frame's timestamp (Cluster Timecode + the block's relative timecode), written into Info
# as a float in TimecodeScale units — what the fix-webm-duration tools do in the browser.

_SEEK_HEAD = 0x114D9B74
_CUES = 0x1C53BB6B
_DURATION = 0x4489
_TIMECODE_SCALE = 0x2AD7B1
_CLUSTER_TIMECODE = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1
_TOP_LEVEL = {_SEEK_HEAD, _INFO, _TRACKS, _CLUSTER, _CUES, 0x1941A469, 0x1043A770, 0x1254C367}
_READ_AHEAD = 16


def _read_element(stream: IO[bytes], pos: int) -> tuple[int, int, int] | None:
    """(id, size or _UNKNOWN, absolute start of the data) of the element at byte `pos` of `stream`."""
    stream.seek(pos)
    found = _element(stream.read(_READ_AHEAD), 0)
    return None if found is None else (found[0], found[1], pos + found[2])


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


def _block_timecode(stream: IO[bytes], start: int, size: int) -> int | None:
    """The relative timecode of a (Simple)Block whose data starts at `start`."""
    stream.seek(start)
    head = stream.read(min(size, 12))
    track = _vint(head, 0, keep_marker=False)
    if track is None or track[1] + 2 > len(head):
        return None
    return int.from_bytes(head[track[1] : track[1] + 2], "big", signed=True)


def webm_duration_seconds(stream: IO[bytes], *, size: int) -> float | None:
    """The recorded length of a streamed WebM from its last frame's timestamp; None when unreadable."""
    layout = _webm_layout(stream, size=size)
    stream.seek(0)
    return None if layout is None else layout[3] * layout[4] / 1e9


def _webm_layout(stream: IO[bytes], *, size: int) -> tuple[int, int, int, int, int, bool] | None:
    """(Info's first byte, Info's data start, Info's size, latest timestamp in TimecodeScale units,
    TimecodeScale in ns, has Duration) of a streamed WebM: Segment of unknown size, no SeekHead/Cues."""
    header = _read_element(stream, 0)
    if header is None or header[0] != _EBML or header[1] == _UNKNOWN:
        return None
    segment = _read_element(stream, header[2] + header[1])
    if segment is None or segment[0] != _SEGMENT or segment[1] != _UNKNOWN:
        return None  # a known Segment size would have to grow too: not what MediaRecorder writes
    segment_end = size
    info: tuple[int, int, int, int] | None = None
    scale = 1_000_000
    has_duration = False
    latest: int | None = None
    pos = segment[2]
    while pos < segment_end:
        child = _read_element(stream, pos)
        if child is None:
            return None
        element_id, child_size, start = child
        if element_id in (_SEEK_HEAD, _CUES):
            return None  # byte offsets point past Info: inserting bytes there would break them
        if element_id == _INFO:
            if child_size == _UNKNOWN:
                return None
            info = (pos, start, child_size, 0)
            inner = start
            while inner < start + child_size:
                item = _read_element(stream, inner)
                if item is None:
                    return None
                if item[0] == _TIMECODE_SCALE:
                    stream.seek(item[2])
                    scale = _uint(stream.read(item[1])) or scale
                elif item[0] == _DURATION:
                    has_duration = True
                inner = item[2] + item[1]
        if element_id == _CLUSTER:
            cluster_end = segment_end if child_size == _UNKNOWN else start + child_size
            cluster_timecode = 0
            inner = start
            while inner < cluster_end:
                item = _read_element(stream, inner)
                if item is not None and child_size == _UNKNOWN and item[0] in _TOP_LEVEL:
                    break  # an unknown-size Cluster ends where the next top-level element starts
                if item is None or item[1] == _UNKNOWN:
                    return None
                if item[0] == _CLUSTER_TIMECODE:
                    stream.seek(item[2])
                    cluster_timecode = _uint(stream.read(item[1]))
                elif item[0] in (_SIMPLE_BLOCK, _BLOCK_GROUP):
                    block_start, block_size = item[2], item[1]
                    if item[0] == _BLOCK_GROUP:
                        block = _read_element(stream, item[2])
                        if block is None or block[0] != _BLOCK:
                            return None
                        block_start, block_size = block[2], block[1]
                    relative = _block_timecode(stream, block_start, block_size)
                    if relative is None:
                        return None
                    latest = max(latest or 0, cluster_timecode + relative)
                inner = item[2] + item[1]
            pos = inner
            continue
        if child_size == _UNKNOWN:
            return None
        pos = start + child_size
    if info is None or latest is None:
        return None
    return info[0], info[1], info[2], latest, scale, has_duration


def webm_with_duration(stream: IO[bytes], *, size: int, out: IO[bytes]) -> bool:
    """Copy a MediaRecorder WebM from `stream` to `out` with Info's Duration written in; True if done.

    False (and `out` untouched) when the file already has a Duration or its layout is not the
    streamed one this understands (a SeekHead or Cues whose offsets would move): it is stored as is.
    """
    layout = _webm_layout(stream, size=size)
    if layout is None or layout[5]:
        stream.seek(0)
        return False
    info_pos, info_start, info_size, latest, _scale, _has_duration = layout
    duration = _DURATION.to_bytes(2, "big") + b"\x88" + struct.pack(">d", float(latest))
    stream.seek(0)
    out.write(stream.read(info_pos))
    out.write(_INFO.to_bytes(4, "big") + b"\x01" + (info_size + len(duration)).to_bytes(7, "big"))
    stream.seek(info_start)
    out.write(stream.read(info_size))
    out.write(duration)
    while chunk := stream.read(1024 * 1024):
        out.write(chunk)
    stream.seek(0)
    return True


def webm_duration_fixed(video: File) -> File:
    """`video` with its Duration written in (a new temporary file), or `video` itself when it has one
    already or isn't a streamed WebM this understands."""
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - handed to File
    if not webm_with_duration(video, size=video.size or 0, out=out):
        out.close()
        return video
    out.seek(0)
    return File(out, name=video.name)
