"""A PNG decoded a band of rows at a time, so that the scan check holds a few hundred rows, not the page.

Pillow decodes a PNG whole: an A4 page at 300 dpi is 8.7 megapixels, held as RGB at 4 bytes a pixel
(35 MB), although the measures need only two small grey copies of it. Here the PNG's compressed pixels
(the IDAT stream) are inflated bit by bit with zlib, and each band of rows is decoded by Pillow on its
own: a band becomes a tiny zlib stream (stored, not compressed) of the previous band's last row, as
it is after unfiltering (filter byte 0), followed by the band's own filtered rows; Pillow's PNG
decoder (the "zip" decoder) unfilters and unpacks it, and the first row is dropped. The pixels are
those of the whole decode, row for row (documents/tests/test_png_bands.py compares them), with one
difference on purpose: pixel data that ends before the last row is an error here, even when its zlib
stream ends properly on a row boundary, where Pillow takes the rows left as zeros (the whole decode
is checked for that by png_pixels_complete()): a scan missing its bottom part is a truncated upload.

Only what this can reproduce exactly is decoded in bands: not interlaced (Adam7), not animated, and a
pixel layout whose unfiltered row Pillow can write back byte for byte (every 1-, 2-, 4- and 8-bit
layout, 16-bit grey; not 16-bit colour, which Pillow keeps at 8 bits). Metadata after the pixels
(text, EXIF) would change what the whole decode sees, so such a file is not banded either. For
anything else png_layout() returns None and the caller decodes the whole image as before.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from PIL import Image

from documents.sniffing import PNG_MAGIC

# (bit depth, colour type): (Pillow's mode, the raw layout of one row) — Pillow's own table
# (PngImagePlugin._MODES), less the 16-bit colour layouts whose rows cannot be written back.
BANDED_LAYOUTS = {
    (1, 0): ("1", "1"),
    (2, 0): ("L", "L;2"),
    (4, 0): ("L", "L;4"),
    (8, 0): ("L", "L"),
    (16, 0): ("I;16", "I;16B"),
    (8, 2): ("RGB", "RGB"),
    (1, 3): ("P", "P;1"),
    (2, 3): ("P", "P;2"),
    (4, 3): ("P", "P;4"),
    (8, 3): ("P", "P"),
    (8, 4): ("LA", "LA"),
    (8, 6): ("RGBA", "RGBA"),
}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Chunks whose content the whole decode reads into the image's info (and so into its EXIF) when
# they come after the pixels.
_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}
# How much inflated data is taken from zlib at a time (bounds the memory a compression bomb can take).
_PIECE = 256 * 1024
_ZLIB_HEADER = b"\x78\x01"


class PngBandError(Exception):
    """The pixel data ends early or is not a valid zlib stream: the file is corrupt or truncated."""


@dataclass(frozen=True)
class PngLayout:
    width: int
    height: int
    mode: str
    rawmode: str
    row_bytes: int  # one unfiltered row, without its filter byte
    palette: bytes = b""
    pixel_chunks: list[tuple[int, int]] = field(default_factory=list)  # (offset of the data, length)


@dataclass(frozen=True)
class _Chunks:
    """What a walk over a PNG's chunk headers found."""

    header: bytes
    palette: bytes
    pixel_chunks: list[tuple[int, int]]  # the first run of IDAT chunks: what Pillow decodes
    pixels_split: bool  # more IDAT after another chunk (Pillow stops at the gap)
    animated: bool
    metadata_after_pixels: bool
    complete: bool  # every chunk within the file, up to IEND


@dataclass(frozen=True)
class PngChunk:
    """One chunk's header: where it starts (its length field), its data's length, its type."""

    position: int
    length: int
    kind: bytes

    @property
    def data_at(self) -> int:
        return self.position + 8

    @property
    def following(self) -> int:
        return self.position + 12 + self.length  # length, type, data, CRC


def png_chunk_headers(file: IO[bytes]) -> Iterator[PngChunk]:
    """The chunk headers of `file`, in order, up to and including IEND; reads only the 8-byte headers
    (the data is skipped with seek()). Stops early at a chunk that runs past the end of the file, so a
    caller knows the file is whole when IEND came; nothing at all when `file` is not a PNG."""
    file.seek(0, io.SEEK_END)
    end = file.tell()
    file.seek(0)
    if file.read(len(PNG_MAGIC)) != PNG_MAGIC:
        return
    position = len(PNG_MAGIC)
    while position + 12 <= end:
        file.seek(position)
        head = file.read(8)
        chunk = PngChunk(position=position, length=int.from_bytes(head[:4], "big"), kind=head[4:8])
        if chunk.following > end:
            return
        yield chunk
        if chunk.kind == b"IEND":
            return
        position = chunk.following


def _png_chunks(file: IO[bytes]) -> _Chunks:
    """What the chunk headers of `file` say, reading IHDR and PLTE whole (an empty header: not a PNG)."""
    header = palette = b""
    chunks: list[tuple[int, int]] = []
    pixels_ended = pixels_split = animated = metadata_after = complete = False
    for chunk in png_chunk_headers(file):
        if chunk.kind == b"IHDR" and not header:
            file.seek(chunk.data_at)
            header = file.read(chunk.length)
        elif chunk.kind == b"PLTE":
            file.seek(chunk.data_at)
            palette = file.read(chunk.length)
        elif chunk.kind == b"IDAT":
            if pixels_ended:
                pixels_split = True
            else:
                chunks.append((chunk.data_at, chunk.length))
        elif chunk.kind == b"IEND":
            complete = True
        elif chunk.kind in {b"acTL", b"fcTL", b"fdAT"}:
            animated = True
        elif chunks:
            pixels_ended = True
            metadata_after = metadata_after or chunk.kind in _METADATA
    return _Chunks(header, palette, chunks, pixels_split, animated, metadata_after, complete)


def png_layout(file: IO[bytes]) -> PngLayout | None:
    """Walk the chunk headers of `file` (a PNG); the layout if it can be decoded in bands, else None.

    Reads only the 8-byte chunk headers (and IHDR, PLTE): the pixel data is skipped with seek().
    None also for anything broken (no IEND, a chunk past the end): the whole decode then says why.
    """
    found = _png_chunks(file)
    if not found.complete or len(found.header) < 13 or not found.pixel_chunks:
        return None
    # IDAT not in one run: Pillow stops at the first gap. Animated: Pillow's frame handling decides
    # what is shown. Metadata after the pixels: it changes what the whole decode sees.
    if found.pixels_split or found.animated or found.metadata_after_pixels:
        return None
    header = found.header
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    bit_depth, colour_type, compression, filtering, interlace = header[8:13]
    layout = BANDED_LAYOUTS.get((bit_depth, colour_type))
    if layout is None or compression or filtering or interlace or width < 1 or height < 1:
        return None
    if colour_type == 3 and not found.palette:
        return None
    return PngLayout(
        width=width,
        height=height,
        mode=layout[0],
        rawmode=layout[1],
        row_bytes=(width * bit_depth * _CHANNELS[colour_type] + 7) // 8,
        palette=found.palette,
        pixel_chunks=found.pixel_chunks,
    )


# Adam7's passes: (first column, first row, column step, row step).
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def png_pixels_complete(file: IO[bytes]) -> bool:
    """Whether the pixel data of `file` (a PNG Pillow has decoded) holds every row its header promises.

    Pillow's decoder stops without an error when the zlib stream ends properly, at the end of a row,
    before the last row, and leaves the rows after it as zeros: a scan that lost its bottom part
    (an upload cut short, a re-compressed tail lost) would be measured as if whole. This inflates the
    IDAT chunks Pillow read (the first run, in pieces of _PIECE bytes) and counts the bytes, for any
    layout, interlaced or not. True when the file cannot be walked: the decode has said what it had to.
    Raises zlib.error when the pixel data does not inflate.
    """
    found = _png_chunks(file)
    if len(found.header) < 13 or not found.pixel_chunks:
        return True
    width, height = int.from_bytes(found.header[0:4], "big"), int.from_bytes(found.header[4:8], "big")
    bit_depth, colour_type, _compression, _filtering, interlace = found.header[8:13]
    bits = bit_depth * _CHANNELS.get(colour_type, 1)
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    expected = 0
    for first_column, first_row, column_step, row_step in passes:
        columns = max(0, -(-(width - first_column) // column_step))
        rows = max(0, -(-(height - first_row) // row_step))
        if columns and rows:
            expected += rows * (1 + (columns * bits + 7) // 8)  # each row: its filter byte, its samples
    inflated = 0
    pieces = _inflated(file, found.pixel_chunks)
    try:
        for piece in pieces:
            inflated += len(piece)
            if inflated >= expected:
                return True
    finally:
        pieces.close()
    return False


def _inflated(file: IO[bytes], pixel_chunks: list[tuple[int, int]]) -> Iterator[bytes]:
    """The IDAT stream inflated, in pieces of at most _PIECE bytes, up to the end of the zlib stream."""
    inflater = zlib.decompressobj()
    for offset, length in pixel_chunks:
        file.seek(offset)
        data = file.read(length)
        if len(data) != length:
            raise PngBandError("pixel data cut short")
        while data:
            piece = inflater.decompress(data, _PIECE)
            data = inflater.unconsumed_tail
            if piece:
                yield piece
            if inflater.eof:
                return
    # Input used up: what zlib still holds back (a long match cut by _PIECE) comes out now.
    while piece := inflater.decompress(b"", _PIECE):
        yield piece


def png_bands(file: IO[bytes], layout: PngLayout, *, rows: int) -> Iterator[Image.Image]:
    """The picture of `layout`, top to bottom, as images of `rows` rows (the last one may be shorter).

    Each band has Pillow's mode for the file (a palette image carries the file's palette). Raises
    PngBandError when the pixel data is corrupt or runs out before the last row, even when the zlib
    stream ends properly at the end of a row (Pillow takes the rows left as zeros; here a scan
    missing its bottom part is a truncated upload, png_pixels_complete); a broken filter byte
    raises Pillow's own ValueError.
    """
    stride = layout.row_bytes + 1
    deflater = zlib.compressobj(0, zlib.DEFLATED, -15)  # stored blocks, no checksum to compute
    pending = bytearray()
    previous = b""
    done = 0
    pieces = _inflated(file, layout.pixel_chunks)
    try:
        while done < layout.height:
            count = min(rows, layout.height - done)
            wanted = count * stride
            while len(pending) < wanted:
                piece = next(pieces, None)
                if piece is None:
                    raise PngBandError("pixel data ends before the last row")
                pending += piece
            # A zlib stream without an end: Pillow's decoder stops after the last row it was given,
            # so neither a final block nor the Adler-32 checksum is needed.
            parts = [_ZLIB_HEADER]
            if previous:
                parts.append(deflater.compress(b"\x00"))
                parts.append(deflater.compress(previous))
            with memoryview(pending) as view:
                parts.append(deflater.compress(view[:wanted]))
            parts.append(deflater.flush(zlib.Z_SYNC_FLUSH))
            del pending[:wanted]
            height = count + (1 if previous else 0)
            band = Image.frombytes(layout.mode, (layout.width, height), b"".join(parts), "zip", layout.rawmode)
            del parts
            if layout.mode == "P":
                band.putpalette(layout.palette)
            previous = band.crop((0, height - 1, layout.width, height)).tobytes("raw", layout.rawmode)
            if height > count:
                band = band.crop((0, 1, layout.width, height))
            done += count
            yield band
    except zlib.error as error:
        raise PngBandError(str(error)) from error
    finally:
        pieces.close()
