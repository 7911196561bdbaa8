"""A PNG decoded in bands gives the measures exactly what the whole decode gives, refuses the same
broken files, and keeps the memory of one check of an A4 scan at 300 dpi under 20 MB."""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from documents import scan
from documents.inspection import strict_decoding
from documents.png_bands import PngBandError, png_bands, png_layout
from documents.scan import FileUnreadable, image_check

ROOT = Path(__file__).resolve().parents[2]


def _page(size: tuple[int, int], *, seed: int) -> Image.Image:
    """A page of dark strokes on an unevenly lit grey-white ground, with grain: every filter type occurs."""
    rng = random.Random(seed)
    page = Image.linear_gradient("L").resize(size).point(lambda value: 255 - value // 4)
    draw = ImageDraw.Draw(page)
    for y in range(20, size[1] - 20, 23):
        for x in range(20, size[0] - 60, 70):
            draw.rectangle((x, y, x + rng.randint(10, 55), y + 9), fill=rng.randint(10, 80))
    page = page.filter(ImageFilter.GaussianBlur(0.8))
    noise = Image.effect_noise(size, 6)
    grey = Image.blend(page, noise, 0.15)
    return Image.merge("RGB", (grey, grey.point(lambda v: v * 0.97), grey.point(lambda v: v * 0.9)))


def _png(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def _variants() -> dict[str, bytes]:
    # 1241 × 1755: A4 at 150 dpi, big enough for both reductions (1000 and 256 px); 1755 rows is odd.
    page = _page((1241, 1755), seed=1)
    grey = page.convert("L")
    rgba = page.convert("RGBA")
    rgba.putalpha(grey.point(lambda v: 255 - v // 3))
    palette = page.convert("P", palette=Image.Palette.ADAPTIVE, colors=200)
    four_bit = page.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return {
        "rgb": _png(page),
        "rgba": _png(rgba),
        "grey": _png(grey),
        "grey-alpha": _png(grey.convert("LA")),
        "palette": _png(palette),
        "palette-transparent": _png(palette, transparency=bytes(range(0, 200))),
        "palette-4-bit": _png(four_bit, bits=4),
        "grey-16-bit": _png(grey.point(lambda v: v * 257, "I").convert("I;16")),
        "black-and-white": _png(grey.point(lambda v: 255 if v > 140 else 0).convert("1")),
        "odd-height-rgb": _png(page.crop((0, 0, 1241, 1009))),
        "tall-and-narrow": _png(page.crop((0, 0, 301, 1755))),
        "small": _png(page.crop((0, 0, 700, 900))),
    }


VARIANTS = _variants()


def _whole(data: bytes) -> tuple[Image.Image, Image.Image]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return scan._grey_at(image, scan._SPREAD_SIDE), scan._grey_at(image, scan._SHARPNESS_SIDE)


@pytest.mark.parametrize("band_bytes", [8 * 1024, 100 * 1024, 512 * 1024])
@pytest.mark.parametrize("name", list(VARIANTS))
def test_the_bands_give_the_whole_decodes_grey_copies(name, band_bytes, monkeypatch):
    monkeypatch.setattr(scan, "_BAND_BYTES", band_bytes)
    data = VARIANTS[name]
    file = io.BytesIO(data)
    layout = png_layout(file)
    assert layout is not None  # decoded in bands, not whole

    banded = scan.png_greys_in_bands(file, layout)

    for in_bands, whole in zip(banded, _whole(data), strict=True):
        assert (in_bands.mode, in_bands.size) == (whole.mode, whole.size)
        assert in_bands.tobytes() == whole.tobytes()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_the_check_measures_the_same_figures_as_before(name):
    data = VARIANTS[name]
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        expected = scan.image_measure(image)

    outcome, clean = image_check(io.BytesIO(data), "image/png")

    assert outcome.metrics == expected
    assert outcome.verdict == scan.measure_verdict(expected)
    with Image.open(io.BytesIO(clean.read())) as stored, Image.open(io.BytesIO(data)) as original:
        assert stored.tobytes() == original.tobytes()


def test_every_band_has_the_pixels_of_its_rows():
    data = VARIANTS["odd-height-rgb"]
    with Image.open(io.BytesIO(data)) as image:
        whole = image.convert("RGB")
    file = io.BytesIO(data)
    bands = list(png_bands(file, png_layout(file), rows=100))

    assert [band.height for band in bands] == [100] * 10 + [9]
    assert all(band.size[0] == 1241 and band.mode == "RGB" for band in bands)
    assert b"".join(band.tobytes() for band in bands) == whole.tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _handmade_png(width: int, height: int, rows: bytes, *, bit_depth: int = 8, colour_type: int = 2) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def _noise_rows(count: int, width: int) -> bytes:
    rng = random.Random(count)
    return b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(count))


def test_pixel_data_that_runs_out_before_the_last_row_is_refused():
    data = _handmade_png(300, 400, _noise_rows(400, 300))
    chunks = png_layout(io.BytesIO(data)).pixel_chunks
    offset, length = chunks[0]
    # The IDAT chunk cut to half its bytes (its length and checksum made to fit): the zlib stream
    # has no end, and the rows stop half way.
    cut = data[: offset - 8] + _chunk(b"IDAT", data[offset : offset + length // 2]) + _chunk(b"IEND", b"")
    assert png_layout(io.BytesIO(cut)) is not None

    with pytest.raises(PngBandError):
        list(png_bands(io.BytesIO(cut), png_layout(io.BytesIO(cut)), rows=64))
    with pytest.raises(FileUnreadable):
        image_check(io.BytesIO(cut), "image/png")
    with strict_decoding(), Image.open(io.BytesIO(cut)) as image, pytest.raises(OSError):
        image.load()  # the whole decode refuses it too


def _cut_on_a_row(data: bytes, rows: int) -> bytes:
    """`data` (a non-interlaced PNG) with only its first `rows` rows of pixel data, in a zlib stream that
    ends properly: the header still promises every row. What an upload cut at the bottom of the page
    and re-saved by a careless tool, or a scanner that lost the end of a page, leaves."""
    layout = png_layout(io.BytesIO(data))
    pixels = zlib.decompress(b"".join(data[offset : offset + length] for offset, length in layout.pixel_chunks))
    first_offset = layout.pixel_chunks[0][0] - 8
    return (
        data[:first_offset]
        + _chunk(b"IDAT", zlib.compress(pixels[: rows * (layout.row_bytes + 1)]))
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("decode", ["bands", "whole"])
def test_pixel_data_that_ends_properly_before_the_last_row_is_refused(decode):
    complete = _png(_page((1241, 1755), seed=4).convert("L"))
    cut = _cut_on_a_row(complete, 1200)  # the bottom third of the page is missing
    if decode == "whole":
        complete, cut = _text_after_pixels(complete), _text_after_pixels(cut)
    assert (png_layout(io.BytesIO(cut)) is None) == (decode == "whole")
    with strict_decoding(), Image.open(io.BytesIO(cut)) as image:
        image.load()  # Pillow takes the missing rows as zeros, without an error

    assert image_check(io.BytesIO(complete), "image/png")[0].verdict == "readable"
    with pytest.raises(FileUnreadable):
        image_check(io.BytesIO(cut), "image/png")


def test_a_stream_cut_on_a_row_boundary_is_refused_by_the_bands_too():
    short = _handmade_png(1100, 400, _noise_rows(200, 1100))
    file = io.BytesIO(short)
    with pytest.raises(PngBandError):
        list(png_bands(file, png_layout(file), rows=64))


# Adam7's passes: (first column, first row, column step, row step).
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _interlaced_rows(width: int, height: int, *, bit_depth: int, channels: int) -> list[bytes]:
    """Every row of an Adam7 picture, pass after pass (filter 0, random samples)."""
    rng = random.Random(width * height)
    rows = []
    for first_column, first_row, column_step, row_step in _ADAM7:
        columns = len(range(first_column, width, column_step))
        for _row in range(first_row, height, row_step):
            if columns:
                rows.append(b"\x00" + rng.randbytes((columns * bit_depth * channels + 7) // 8))
    return rows


@pytest.mark.parametrize(
    ("size", "bit_depth", "colour_type", "channels"),
    [((1100, 1300), 8, 2, 3), ((301, 203), 1, 0, 1), ((5, 3), 16, 0, 1), ((2, 9), 8, 6, 4)],
)
def test_an_interlaced_png_is_accepted_whole_and_refused_when_its_pixels_end_early(
    size, bit_depth, colour_type, channels
):
    rows = _interlaced_rows(*size, bit_depth=bit_depth, channels=channels)
    header = struct.pack(">IIBBBBB", *size, bit_depth, colour_type, 0, 0, 1)

    def png(pixels: bytes) -> bytes:
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(pixels))
            + _chunk(b"IEND", b"")
        )

    complete, cut = png(b"".join(rows)), png(b"".join(rows[:-1]))  # the last row of the last pass missing
    assert png_layout(io.BytesIO(complete)) is None  # interlaced: decoded whole
    with strict_decoding(), Image.open(io.BytesIO(cut)) as image:
        image.load()  # Pillow does not notice

    image_check(io.BytesIO(complete), "image/png")  # no error: every row is there
    with pytest.raises(FileUnreadable):
        image_check(io.BytesIO(cut), "image/png")


def test_an_unknown_filter_type_is_refused():
    rows = b"".join(b"\x07" + bytes(300 * 3) for _ in range(400))
    with pytest.raises(FileUnreadable):
        image_check(io.BytesIO(_handmade_png(300, 400, rows)), "image/png")


def test_corrupt_compressed_pixels_are_refused():
    data = bytearray(VARIANTS["rgb"])
    layout = png_layout(io.BytesIO(bytes(data)))
    offset, length = layout.pixel_chunks[3]
    data[offset : offset + length] = bytes(random.Random(3).randrange(256) for _ in range(length))
    with pytest.raises(FileUnreadable):
        image_check(io.BytesIO(bytes(data)), "image/png")


def test_a_file_cut_in_the_pixels_is_refused_by_the_whole_decode():
    data = VARIANTS["rgb"]
    cut = data[: len(data) // 2]
    assert png_layout(io.BytesIO(cut)) is None  # no IEND: not banded, the whole decode says why
    with pytest.raises(FileUnreadable):
        image_check(io.BytesIO(cut), "image/png")


def test_a_picture_over_the_pixel_limit_is_refused_before_any_decode(settings):
    settings.DOCUMENT_MAX_PIXELS = 1_000_000
    with pytest.raises(FileUnreadable):
        image_check(io.BytesIO(VARIANTS["rgb"]), "image/png")  # 2.2 megapixels


def test_what_cannot_be_banded_exactly_is_decoded_whole_with_the_same_figures():
    # 16-bit colour: Pillow keeps 8 bits of each sample, so a row cannot be written back for the next band.
    rng = random.Random(16)
    rows = b"".join(b"\x02" + bytes(rng.randrange(200, 256) for _ in range(1100 * 6)) for _ in range(1300))
    sixteen = _handmade_png(1100, 1300, rows, bit_depth=16)
    interlaced = _png(_page((1100, 1300), seed=2), optimize=False)
    interlaced = interlaced[:28] + b"\x01" + interlaced[29:]  # the interlace byte of IHDR
    exif_after_pixels = _png(_page((1100, 1300), seed=3))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif_after_pixels = exif_after_pixels[:-12] + _chunk(b"eXIf", exif.tobytes()[6:]) + exif_after_pixels[-12:]

    assert png_layout(io.BytesIO(sixteen)) is None
    assert png_layout(io.BytesIO(exif_after_pixels)) is None
    outcome, _clean = image_check(io.BytesIO(sixteen), "image/png")
    with Image.open(io.BytesIO(sixteen)) as image:
        image.load()
        assert outcome.metrics == scan.image_measure(image)
    # The EXIF after the pixels still turns the picture: its sides swap in the figures.
    outcome, _clean = image_check(io.BytesIO(exif_after_pixels), "image/png")
    assert (outcome.metrics["width"], outcome.metrics["height"]) == (1300, 1100)
    assert png_layout(io.BytesIO(interlaced)) is None


_MEMORY_SCRIPT = """
import io, json, os, sys
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
import django
django.setup()
from PIL import Image
Image.init()
from documents.scan import image_check

def kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

with open(sys.argv[1], "rb") as file:
    Path("/proc/self/clear_refs").write_text("5")
    before = kb("VmRSS")
    outcome, clean = image_check(file, "image/png")
    while clean.read(64 * 1024):
        pass
    print(json.dumps({"verdict": outcome.verdict, "growth_mb": (kb("VmHWM") - before) / 1024}))
"""


def test_one_check_of_an_a4_scan_at_300_dpi_takes_under_20_mb(tmp_path):
    from bench.scan_check_bench import scan_png

    path = tmp_path / "scan.png"
    path.write_bytes(scan_png())  # 2480 × 3508 RGB: 35 MB when Pillow decodes it whole
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, str(path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["verdict"] == "readable"
    assert figures["growth_mb"] < 20


def test_the_clean_copy_is_read_from_the_file_without_metadata_or_trailing_bytes():
    from documents.scan import _Parts, png_rebuild

    picture = VARIANTS["palette-transparent"]  # IHDR, PLTE, tRNS, IDAT…, IEND: all kept
    data = picture[:33] + _chunk(b"tEXt", b"Comment\x00GPS 55.75 37.62") + picture[33:] + b"appended after IEND"
    parts = png_rebuild(io.BytesIO(data))

    assert len(parts) < 5  # the signature and the kept chunks joined into runs, not one part a chunk
    assert b"".join(bytes(chunk) for chunk in _Parts(parts).chunks()) == picture
    assert _Parts(parts).read() == picture
    assert png_rebuild(io.BytesIO(data[:-40])) is None  # no IEND


# --- 16-bit grey: scaled to 8 bits, not clipped ----------------------------------------------------


def _text_after_pixels(data: bytes) -> bytes:
    """The PNG with a text chunk between its pixels and IEND: png_layout says None, it is decoded whole."""
    return data[:-12] + _chunk(b"tEXt", b"Comment\x00scanned") + data[-12:]


def _sixteen_bit_grey(grey: Image.Image, *, seed: int) -> Image.Image:
    """`grey` as a 16-bit scanner writes it: each level in the high byte, sensor detail in the low one."""
    samples = bytearray(grey.width * grey.height * 2)  # I;16 holds each sample little-endian
    samples[0::2] = random.Random(seed).randbytes(grey.width * grey.height)
    samples[1::2] = grey.tobytes()
    return Image.frombytes("I;16", grey.size, bytes(samples))


def _well_exposed_grey_scan() -> tuple[bytes, bytes]:
    """One document-like page saved as 8-bit grey and as 16-bit grey (the same picture)."""
    grey = _page((1241, 1755), seed=16).convert("L")
    return _png(grey), _png(_sixteen_bit_grey(grey, seed=16))


@pytest.mark.parametrize("decode", ["bands", "whole"])
def test_a_16_bit_grey_scan_gets_the_verdict_of_the_same_picture_at_8_bits(decode):
    eight, sixteen = _well_exposed_grey_scan()
    if decode == "whole":
        eight, sixteen = _text_after_pixels(eight), _text_after_pixels(sixteen)
    assert (png_layout(io.BytesIO(sixteen)) is None) == (decode == "whole")
    with Image.open(io.BytesIO(sixteen)) as image:
        assert image.mode == "I;16"

    expected, _clean = image_check(io.BytesIO(eight), "image/png")
    outcome, _clean = image_check(io.BytesIO(sixteen), "image/png")

    assert expected.verdict == "readable"
    assert outcome.verdict == expected.verdict  # not «засвечен»: the levels are scaled, not clipped
    figures, reference = outcome.metrics, expected.metrics
    assert (figures["width"], figures["height"]) == (reference["width"], reference["height"])
    assert abs(figures["mean"] - reference["mean"]) <= 1.0
    assert abs(figures["spread"] - reference["spread"]) <= 1.0
    assert abs(figures["sharpness"] - reference["sharpness"]) <= 0.05 * reference["sharpness"]


def test_a_16_bit_grey_scan_decoded_whole_keeps_its_levels_for_the_clean_copy_and_preview():
    eight, sixteen = _well_exposed_grey_scan()
    with Image.open(io.BytesIO(eight)) as image:
        expected = image.convert("L").tobytes()

    decoded = scan.image_decode(io.BytesIO(sixteen), "image/png")

    assert decoded.mode == "L"
    assert decoded.tobytes() == expected
