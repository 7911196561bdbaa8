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

import tempfile
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from PIL import Image, ImageFilter, ImageOps, ImageStat

from documents.constants import Verdict
from documents.inspection import image_open, strict_decoding

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


def image_measure(image: Image.Image) -> dict:
    """Figures of one decoded image: size, brightness, spread, sharpness."""
    width, height = image.size
    grey = image.convert("L")
    small = grey.copy()
    small.thumbnail((_SPREAD_SIDE, _SPREAD_SIDE), Image.Resampling.BOX)
    stat = ImageStat.Stat(small)
    working = grey.copy()
    working.thumbnail((_SHARPNESS_SIDE, _SHARPNESS_SIDE), Image.Resampling.BOX)
    edges = working.filter(_LAPLACIAN)
    sharpness = ImageStat.Stat(edges).var[0]
    return {
        "width": width,
        "height": height,
        "short_side": min(width, height),
        "mean": round(stat.mean[0], 1),
        "spread": round(stat.stddev[0], 1),
        "sharpness": round(sharpness, 1),
    }


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
    if upright.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
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
