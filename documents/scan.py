"""The scan check's measures: is the scan readable, and the clean copy of an image.

Readability, in this order (the first failing one is the verdict):
- too small: the short side under settings.DOCUMENT_MIN_SHORT_SIDE_PX (150 dpi on a passport page);
- too dark / blank (almost uniform) / too bright: mean and spread of the grey levels, measured on a
  small copy so that sensor noise does not count as content;
- blurry: variance of the Laplacian (an edge measure) on a copy brought to a fixed size.
The thresholds were set from the sample scans in documents/tests/samples/ (see generate.py there
and docs/benchmarks.md); every figure is stored on the document for the reviewer.

PDFs: each page's largest embedded image is measured the same way; a page with text and no image
(a PDF made by a computer, e.g. the policy extract) is readable as it is; a page with neither is blank.
"""

from __future__ import annotations

import bisect
import io
import itertools
import math
import mmap
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from PIL import Image, ImageFilter, ImageOps, ImageStat

from documents.constants import Verdict
from documents.inspection import image_open, strict_decoding
from documents.png_bands import PngLayout, png_bands, png_chunk_headers, png_layout, png_pixels_complete
from documents.sniffing import PNG_MAGIC

# Thresholds (grey levels 0..255 and the Laplacian's variance), from the sample scans.
DARK_MEAN_BELOW = 60.0
BRIGHT_MEAN_ABOVE = 242.0
BLANK_SPREAD_BELOW = 6.0
BLURRY_SHARPNESS_BELOW = 150.0
# Sizes of the working copies.
_SPREAD_SIDE = 256
_SHARPNESS_SIDE = 1000
_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)

PREVIEW_SIDE = 480


class FileUnreadable(Exception):
    """The file could not be decoded in full (corrupt, truncated, or a bomb missed by the header)."""


@dataclass
class ScanOutcome:
    verdict: str
    metrics: dict = field(default_factory=dict)


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """The size Image.thumbnail((side, side)) gives `size` (aspect kept, never enlarged)."""
    width, height = size
    if width <= side and height <= side:
        return size
    aspect = width / height
    if aspect >= 1:
        return side, max(
            min(
                math.floor(side / aspect),
                math.ceil(side / aspect),
                key=lambda n: 0 if n == 0 else abs(aspect - side / n),
            ),
            1,
        )
    return max(min(math.floor(side * aspect), math.ceil(side * aspect), key=lambda n: abs(aspect - n / side)), 1), side


# Pillow's modes for 16-bit grey (a PNG of colour type 0 at 16 bits opens as I;16), each with the
# unpacker that keeps a sample's high byte: value >> 8, 0..65535 onto 0..255.
_SIXTEEN_BIT_GREY = {
    "I;16": "L;16",
    "I;16L": "L;16",
    "I;16B": "L;16B",
    "I;16N": "L;16" if sys.byteorder == "little" else "L;16B",
}


def grey_from_16_bit(image: Image.Image) -> Image.Image:
    """16-bit grey brought to 8 bits by scale (the high byte of each sample).

    Pillow's convert("L") clips instead: every level over 255 becomes white, so a well-exposed
    16-bit scan would be measured (and shown) as a white page, «засвечен».
    """
    return Image.frombytes("L", image.size, image.tobytes(), "raw", _SIXTEEN_BIT_GREY[image.mode])


def _grey_at(image: Image.Image, side: int) -> Image.Image:
    """A grey copy brought to `side` (as thumbnail with BOX would), without a full-size grey copy.

    Greying and box-averaging are both linear, so for RGB and L images the order does not matter
    (to rounding): reducing first saves a full-size copy. Other modes (palette, alpha) are greyed
    first; 16-bit grey is scaled to 8 bits (grey_from_16_bit), not clipped.
    """
    size = _fitted(image.size, side)
    if image.mode in _SIXTEEN_BIT_GREY:
        image = grey_from_16_bit(image)
    elif image.mode not in {"L", "RGB"}:
        image = image.convert("L")
    reduced = image if size == image.size else image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return reduced if reduced.mode == "L" else reduced.convert("L")


def image_measure(image: Image.Image, *, full_size: tuple[int, int] | None = None) -> dict:
    """Figures of one decoded image: size, brightness, spread, sharpness.

    `full_size` is the image's own size when `image` was decoded at a reduced scale (JPEG draft).
    """
    return _figures(_grey_at(image, _SPREAD_SIDE), _grey_at(image, _SHARPNESS_SIDE), full_size or image.size)


def _figures(spread_grey: Image.Image, sharpness_grey: Image.Image, size: tuple[int, int]) -> dict:
    width, height = size
    stat = ImageStat.Stat(spread_grey)
    sharpness = ImageStat.Stat(sharpness_grey.filter(_LAPLACIAN)).var[0]
    return {
        "width": width,
        "height": height,
        "short_side": min(width, height),
        "mean": round(stat.mean[0], 1),
        "spread": round(stat.stddev[0], 1),
        "sharpness": round(sharpness, 1),
    }


class _GreyAtInBands:
    """_grey_at(image, side) for an image that arrives in bands of rows, top to bottom: the same pixels.

    Pillow's resize(BOX, reducing_gap=2.0) is reduce() by whole factors (each block of rows on its
    own), then two passes. Horizontal first (Pillow's choice unless the height shrinks by more than
    twice as many pixels as the width; Resample.c): the reduce and the horizontal pass (each row on
    its own) run on each band, whose height must be a multiple of `row_factor` (the last band may be
    shorter), and the vertical pass runs once at the end, on the narrow rows kept, with the whole
    image's coefficients. Vertical first (a tall, narrow picture): the reduced rows are kept and
    Pillow's resize runs once at the end. Colour rows are kept as three grey planes (3 bytes a pixel,
    not Pillow's 4): every pass treats each channel alone, so the result is the same.
    """

    def __init__(self, size: tuple[int, int], mode: str, side: int) -> None:
        width, height = size
        self.size = _fitted(size, side)
        self.whole = self.size == size  # _grey_at keeps the image as it is
        self.factor = (1, 1)
        self.box: tuple[float, float, float, float] = (0, 0, width, height)
        if not self.whole:
            # Image.resize's own choice (reducing_gap=2.0); with BOX the reduce covers the whole image.
            factor = (int(width / self.size[0] / 2.0) or 1, int(height / self.size[1] / 2.0) or 1)
            if factor != (1, 1):
                self.factor = factor
                self.box = (0, 0, width / factor[0], height / factor[1])
        reduced = (-(-width // self.factor[0]), -(-height // self.factor[1]))
        shrink = (reduced[0] - self.size[0], reduced[1] - self.size[1])
        self.horizontal_first = not self.whole and not (shrink[1] > 0 and shrink[1] > shrink[0] * 2)
        self.row_factor = self.factor[1]
        kept = (self.size[0], reduced[1]) if self.horizontal_first else reduced
        self.planes = [Image.new("L", kept, None) for _ in range(3 if mode == "RGB" else 1)]
        self.filled = 0

    def add(self, band: Image.Image) -> None:
        """`band`: the next rows, in mode L, or RGB when the reducer was made for RGB."""
        if self.factor != (1, 1):
            band = band.reduce(self.factor)
        if self.horizontal_first:
            band = band.resize(
                (self.size[0], band.height),
                Image.Resampling.BOX,
                box=(self.box[0], 0, self.box[2], band.height),
            )
        for plane, rows in zip(self.planes, band.split() if len(self.planes) > 1 else [band], strict=True):
            plane.paste(rows, (0, self.filled))
        self.filled += band.height

    def result(self) -> Image.Image:
        planes = self.planes
        if self.horizontal_first:
            box = (0, self.box[1], self.size[0], self.box[3])  # the vertical pass alone
            planes = [plane.resize(self.size, Image.Resampling.BOX, box=box) for plane in planes]
        elif not self.whole:
            planes = [plane.resize(self.size, Image.Resampling.BOX, box=self.box) for plane in planes]
        return planes[0] if len(planes) == 1 else Image.merge("RGB", planes).convert("L")


# A band of about this many bytes of pixel data (1 MB: a few hundred rows of an A4 scan).
_BAND_BYTES = 512 * 1024


def png_greys_in_bands(file: IO[bytes], layout: PngLayout) -> tuple[Image.Image, Image.Image]:
    """The two grey copies image_measure() needs, of a PNG decoded in bands (documents.png_bands).

    The same pixels as _grey_at() of the whole decoded image. Raises PngBandError or ValueError
    when the pixel data is broken.
    """
    size = (layout.width, layout.height)
    mode = layout.mode if layout.mode in {"L", "RGB"} else "L"  # _grey_at greys the other modes first
    reducers = [_GreyAtInBands(size, mode, side) for side in (_SPREAD_SIDE, _SHARPNESS_SIDE)]
    step = math.lcm(*(reducer.row_factor for reducer in reducers))
    rows = max(step, _BAND_BYTES // (layout.row_bytes + 1) // step * step)
    for band in png_bands(file, layout, rows=rows):
        if band.mode in _SIXTEEN_BIT_GREY:
            band = grey_from_16_bit(band)  # as _grey_at does: scaled, not clipped
        elif band.mode != mode:
            band = band.convert(mode)
        for reducer in reducers:
            reducer.add(band)
    spread_grey, sharpness_grey = (reducer.result() for reducer in reducers)
    return spread_grey, sharpness_grey


def measure_verdict(metrics: dict) -> str:
    if metrics["short_side"] < settings.DOCUMENT_MIN_SHORT_SIDE_PX:
        return Verdict.TOO_SMALL
    if metrics["mean"] < DARK_MEAN_BELOW:
        return Verdict.TOO_DARK
    if metrics["spread"] < BLANK_SPREAD_BELOW:
        return Verdict.BLANK
    if metrics["mean"] > BRIGHT_MEAN_ABOVE:
        return Verdict.TOO_BRIGHT
    if metrics["sharpness"] < BLURRY_SHARPNESS_BELOW:
        return Verdict.BLURRY
    return Verdict.READABLE


def image_decode(file: IO[bytes], content_type: str) -> Image.Image:
    """Decode the whole image, upright (EXIF orientation applied), with no metadata left on it."""
    try:
        image = image_open(file, content_type)
    except Exception as error:
        raise FileUnreadable(str(error)) from error
    try:
        with strict_decoding():
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Exception as error:
        raise FileUnreadable(str(error)) from error
    if upright.mode in _SIXTEEN_BIT_GREY:
        upright = grey_from_16_bit(upright)  # the clean copy and the preview: scaled, not clipped to white
    elif upright.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
        upright = upright.convert("RGB")
    # Drop everything but the pixels: EXIF (GPS, camera), ICC, comments, text chunks.
    upright.info = {}
    return upright


def image_clean_copy(image: Image.Image, content_type: str) -> IO[bytes]:
    """Re-encode the pixels into a new file of the same format; nothing of the original file survives."""
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - returned to the caller
    if content_type == "image/jpeg":
        rgb = image if image.mode in {"L", "RGB"} else image.convert("RGB")
        rgb.save(out, format="JPEG", quality=90, optimize=False)
    else:
        image.save(out, format="PNG")
    out.seek(0)
    return out


# --- the clean copy without decoding: the file rebuilt from the parts a picture needs -------------
# A JPEG keeps its tables, frame and scans (the entropy-coded pixels, which the check has decoded in
# full) and an Adobe marker rebuilt from its four values (it says how the colours are coded); it
# loses every APPn (EXIF with GPS and camera, XMP, ICC, thumbnails), every comment and anything after
# the end marker. When the photo says it is turned (EXIF orientation 2–8), a new EXIF with that one
# tag goes in, so that browsers and the preview show it upright. A PNG keeps IHDR, PLTE, tRNS, IDAT and
# IEND (copied with their checksums) and loses text, EXIF, ICC, time, animation and trailing bytes.
# Anything unexpected in the structure: None, and the caller re-encodes the decoded pixels instead.
_JPEG_TABLES = {0xC4, 0xCC, 0xDB, 0xDD}  # DHT, DAC, DQT, DRI
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_SKIPPED = set(range(0xE0, 0xF0)) | {0xFE}  # APP0–APP15, COM
_JPEG_SCAN_END = re.compile(rb"\xff(?!\x00|[\xd0-\xd7]|\xff)")
_PNG_KEPT = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
EXIF_ORIENTATION = 0x0112


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def jpeg_rebuild(data: bytes, *, orientation: int = 1) -> list | None:
    """The parts of `data` (a whole JPEG) without metadata or trailing bytes, the coded pixels untouched.

    None when the structure is not a plain baseline or progressive JPEG.
    """
    if data[:2] != b"\xff\xd8":
        return None
    view = memoryview(data)
    parts = [b"\xff\xd8"]
    if 2 <= orientation <= 8:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        parts.append(_segment(0xE1, exif.tobytes()))
    position, frame_seen, scans = 2, False, 0
    end = len(data)
    while position + 2 <= end:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:  # EOI: the picture ends here, whatever follows is dropped
            if not frame_seen or not scans:
                return None
            parts.append(b"\xff\xd9")
            return parts
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if position + 4 > end or length < 2 or position + 2 + length > end:
            return None
        payload = bytes(view[position + 4 : min(position + 16, position + 2 + length)])  # Adobe: 12 bytes
        following = position + 2 + length
        if marker in _JPEG_TABLES:
            parts.append(view[position:following])
        elif marker in _JPEG_FRAMES:
            if frame_seen:
                return None
            frame_seen = True
            parts.append(view[position:following])
        elif marker == 0xEE and payload.startswith(b"Adobe") and len(payload) >= 12:
            parts.append(_segment(0xEE, b"Adobe" + payload[5:12]))
        elif marker == 0xDA:  # SOS: the header, then the coded data up to the next marker
            if not frame_seen:
                return None
            found = _JPEG_SCAN_END.search(data, following)
            if found is None:
                return None
            parts.append(view[position : found.start()])
            scans += 1
            following = found.start()
        elif marker not in _JPEG_SKIPPED:
            return None  # DNL, hierarchical or arithmetic-only markers, garbage: re-encode instead
        position = following
    return None  # no end marker


@dataclass(frozen=True)
class _FileRange:
    """Bytes of the checked file, read when the clean copy is written (the file must still be open)."""

    file: IO[bytes]
    offset: int
    length: int

    def __len__(self) -> int:
        return self.length


class _Parts(io.RawIOBase):
    """The rebuilt file as a seekable stream over slices of the original bytes: no second copy in memory.

    A part is a bytes-like slice, or a _FileRange read from the file itself when it is needed.
    """

    def __init__(self, parts: list) -> None:
        self._parts = [part if isinstance(part, _FileRange) else memoryview(part) for part in parts]
        self._starts = list(itertools.accumulate((len(part) for part in self._parts), initial=0))
        self.size = self._starts[-1]
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:
        if self._position >= self.size:
            return 0
        index = bisect.bisect_right(self._starts, self._position) - 1
        part, offset = self._parts[index], self._position - self._starts[index]
        count = min(len(buffer), len(part) - offset)
        if isinstance(part, _FileRange):
            part.file.seek(part.offset + offset)
            with memoryview(buffer) as view:
                count = part.file.readinto(view[:count])
            if not count:
                raise OSError("the checked file changed while its clean copy was written")
        else:
            buffer[:count] = part[offset : offset + count]
        self._position += count
        return count

    def chunks(self, chunk_size: int = 1024 * 1024) -> Iterator[bytes | memoryview]:
        """Django's storages write what this yields: the slices as they are, without a copy through read().

        The first part (the format's signature) is given as bytes: FileSystemStorage opens its file in
        binary mode only when the first chunk is bytes.
        """
        for index, part in enumerate(self._parts):
            self._position = self._starts[index]
            if isinstance(part, _FileRange):
                while self._position < self._starts[index + 1]:
                    yield self.read(min(chunk_size, self._starts[index + 1] - self._position))
            else:
                yield bytes(part) if index == 0 else part
        self._position = self.size


def png_rebuild(file: IO[bytes]) -> list | None:
    """The parts of `file` (a PNG) a picture needs, up to IEND, as ranges of the file (read by their
    chunk headers: the file is never held in memory); None if the structure is odd."""
    parts: list = [PNG_MAGIC]
    for chunk in png_chunk_headers(file):
        if chunk.kind in _PNG_KEPT:
            last = parts[-1]
            if isinstance(last, _FileRange) and last.offset + last.length == chunk.position:
                parts[-1] = _FileRange(file, last.offset, last.length + chunk.following - chunk.position)
            else:
                parts.append(_FileRange(file, chunk.position, chunk.following - chunk.position))
        if chunk.kind == b"IEND":
            return parts
    return None


def _file_bytes(file: IO[bytes]):
    """The whole file as bytes-like: mapped from the page cache when it is a file on disk (no 4 MB copy)."""
    try:
        return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        file.seek(0)
        return file.read()


def image_check(file: IO[bytes], content_type: str) -> tuple[ScanOutcome, IO[bytes]]:
    """Decode and measure an image, and make its clean copy, with as little memory as the format allows.

    A JPEG is decoded by libjpeg scaled down to the sharpness measure's size (draft mode): the
    decoder still reads every coded byte, so a truncated or corrupt file fails as in a full decode,
    and 12 megapixels cost ~1 MB instead of 36 MB. A PNG has no reduced decode: it is decoded in
    bands of rows (png_greys_in_bands; an A4 page at 300 dpi costs ~12 MB instead of 35 MB), or
    whole when its layout is unusual (png_layout says None); either way a PNG whose pixel data ends
    before its last row is refused (png_pixels_complete), not measured with zeros. The clean copy is
    the file rebuilt from its picture parts (jpeg_rebuild, png_rebuild); when the structure is
    unusual, the decoded pixels are re-encoded instead (image_clean_copy). A PNG's rebuilt copy reads
    from `file`: write it before closing the file. Raises FileUnreadable.
    """
    try:
        image = image_open(file, content_type)
    except Exception as error:
        raise FileUnreadable(str(error)) from error
    full_size = image.size
    layout = png_layout(file) if content_type == "image/png" else None
    greys = None
    try:
        with strict_decoding():
            if layout is not None:
                # PngImageFile.getexif() decodes the pixels to read the chunks after them; png_layout
                # made sure none of those can hold EXIF, so the chunks read so far say it all.
                orientation = Image.Image.getexif(image).get(EXIF_ORIENTATION, 1)
                greys = png_greys_in_bands(file, layout)
            else:
                orientation = image.getexif().get(EXIF_ORIENTATION, 1)
                if content_type == "image/jpeg":
                    image.draft("L", _fitted(full_size, _SHARPNESS_SIDE))
                image.load()
                if content_type == "image/png" and not png_pixels_complete(file):
                    # Pillow took the missing rows as zeros; the banded decode refuses them too.
                    raise FileUnreadable("pixel data ends before the last row")
    except Exception as error:
        raise FileUnreadable(str(error)) from error
    if orientation in {5, 6, 7, 8}:  # turned a quarter: the upright picture's sides swap
        full_size = (full_size[1], full_size[0])
    metrics = image_measure(image, full_size=full_size) if greys is None else _figures(*greys, full_size)
    outcome = ScanOutcome(verdict=measure_verdict(metrics), metrics=metrics)
    del image, greys
    if content_type == "image/jpeg":
        rebuilt = jpeg_rebuild(_file_bytes(file), orientation=orientation if isinstance(orientation, int) else 1)
    else:
        rebuilt = png_rebuild(file) if orientation == 1 else None
    if rebuilt is not None:
        return outcome, _Parts(rebuilt)
    file.seek(0)
    return outcome, image_clean_copy(image_decode(file, content_type), content_type)


def image_scan(image: Image.Image) -> ScanOutcome:
    metrics = image_measure(image)
    return ScanOutcome(verdict=measure_verdict(metrics), metrics=metrics)


def pdf_page_images(file: IO[bytes]):
    """Yield (page number, the page's largest image or None, whether the page has text, whether an
    image was left unmeasured because no decoder for its filter is installed, e.g. JBIG2)."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    reader = PdfReader(file, strict=False)
    for number, page in enumerate(reader.pages[: settings.DOCUMENT_PDF_MAX_PAGES], start=1):
        largest = None
        unmeasured = False
        images = page.images
        for index in range(len(images)):
            try:
                picture = images[index].image  # pypdf decodes the stream here
            except (DependencyError, NotImplementedError):
                unmeasured = True
                continue
            if picture.width * picture.height > settings.DOCUMENT_MAX_PIXELS:
                raise FileUnreadable("embedded image over the pixel limit")
            if largest is None or picture.width * picture.height > largest.width * largest.height:
                largest = picture
        has_text = bool(largest is None and (page.extract_text() or "").strip())
        yield number, largest, has_text, unmeasured


def pdf_scan(file: IO[bytes]) -> ScanOutcome:
    pages = []
    verdict = Verdict.READABLE
    try:
        for number, picture, has_text, unmeasured in pdf_page_images(file):
            if picture is not None:
                metrics = {"page": number, **image_measure(picture)}
                page_verdict = measure_verdict(metrics)
            elif has_text:
                metrics, page_verdict = {"page": number, "text": True}, Verdict.READABLE
            elif unmeasured:
                # A scanner's compression we cannot decode here: not a reason to refuse the file;
                # the reviewer sees «measured: false» and judges the page by eye.
                metrics, page_verdict = {"page": number, "measured": False}, Verdict.READABLE
            else:
                metrics, page_verdict = {"page": number}, Verdict.BLANK
            metrics["verdict"] = str(page_verdict)
            pages.append(metrics)
            if verdict == Verdict.READABLE and page_verdict != Verdict.READABLE:
                verdict = page_verdict
    except FileUnreadable:
        raise
    except Exception as error:  # pypdf and Pillow raise many kinds on a damaged file
        raise FileUnreadable(str(error)) from error
    return ScanOutcome(verdict=verdict, metrics={"pages": pages})


def preview_make(*, file: IO[bytes], content_type: str) -> IO[bytes] | None:
    """A small JPEG of the image, or of the first page's largest image of a PDF; None if it has none."""
    if content_type == "application/pdf":
        picture = next((picture for _n, picture, _t, _u in pdf_page_images(file) if picture is not None), None)
        if picture is None:
            return None
    else:
        picture = image_decode(file, content_type)
    picture = picture.convert("RGB")
    picture.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    out = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - returned to the caller
    picture.save(out, format="JPEG", quality=80)
    out.seek(0)
    return out
