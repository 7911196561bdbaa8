"""Make the sample scans in this folder: drawn documents of nobody, and hostile files.

    .venv/bin/python documents/tests/samples/generate.py

Good: a passport photo page (JPEG, with EXIF and GPS tags that the stored copy must lose), a
registration page (PNG with a text chunk), a PDF of the photo page, a two-page PDF, a text-only
PDF (as a computer makes it). Bad scans: blurred, blank, tiny, dark, over-bright (JPEG) and a
blurred PDF. Hostile: a PNG bomb, a truncated JPEG, HTML named .jpg, SVG named .pdf, an ELF
executable named .png, PDFs with JavaScript / a launch action / an embedded file, an encrypted
PDF, a ZIP named .pdf. The oversize file and the hostile names are made by the tests themselves.
Also writes the two example pictures the upload slot shows (static/img/documents/).
The output is deterministic (a seeded generator), so regenerating changes nothing.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
STATIC = HERE.parents[2] / "static" / "img" / "documents"
FONT_PATHS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]
# A passport page is 88 × 125 mm; drawn at 260 dpi.
PAGE = (900, 1280)


def _font(size: int):
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _noise(size: tuple[int, int], rng: random.Random, strength: float) -> Image.Image:
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    return grain.filter(ImageFilter.GaussianBlur(0.6)), strength


def passport_photo_page(rng: random.Random) -> Image.Image:
    page = Image.new("RGB", PAGE, (236, 228, 214))
    draw = ImageDraw.Draw(page)
    # Guilloche-like background lines.
    for y in range(0, PAGE[1], 14):
        draw.line([(0, y), (PAGE[0], y + 40)], fill=(222, 212, 198), width=1)
    draw.rectangle([30, 30, PAGE[0] - 30, PAGE[1] - 30], outline=(150, 120, 110), width=3)
    title = _font(40)
    text = _font(30)
    small = _font(22)
    draw.text((70, 60), "РОССИЙСКАЯ ФЕДЕРАЦИЯ", font=title, fill=(120, 40, 40))
    # The photo: a grey box with a face drawn in it (nobody's).
    draw.rectangle([70, 170, 350, 530], fill=(190, 190, 196), outline=(80, 80, 90), width=2)
    draw.ellipse([140, 220, 280, 400], fill=(214, 190, 170), outline=(90, 70, 60), width=2)
    draw.rectangle([120, 410, 300, 530], fill=(70, 80, 110))
    fields = [
        ("Фамилия", "ОБРАЗЦОВА"),
        ("Имя", "ВЕРА"),
        ("Отчество", "ТЕСТОВНА"),
        ("Пол", "ЖЕН."),
        ("Дата рождения", "01.01.1990"),
        ("Место рождения", "ГОР. ПРИМЕРНОЕ"),
    ]
    y = 180
    for label, value in fields:
        draw.text((390, y), label, font=small, fill=(110, 90, 90))
        draw.text((390, y + 26), value, font=text, fill=(20, 20, 30))
        y += 80
    draw.text((70, 700), "Паспорт выдан ОТДЕЛОМ ОБРАЗЦОВ", font=text, fill=(20, 20, 30))
    draw.text((70, 750), "Дата выдачи 01.02.2010   Код подразделения 000-000", font=small, fill=(20, 20, 30))
    draw.ellipse([560, 860, 820, 1120], outline=(90, 60, 140), width=5)
    draw.text((600, 970), "ОБРАЗЕЦ", font=text, fill=(90, 60, 140))
    mrz = _font(26)
    draw.text((60, 1160), "PNRUSOBRAZCOVA<<VERA<TESTOVNA<<<<<<<<<<<<<", font=mrz, fill=(30, 30, 30))
    draw.text((60, 1200), "0000000000RUS9001011F<<<<<<<<<<<<<<<<<<<<<", font=mrz, fill=(30, 30, 30))
    grain, strength = _noise(PAGE, rng, 0.08)
    return Image.blend(page, Image.merge("RGB", [grain] * 3), strength)


def registration_page(rng: random.Random) -> Image.Image:
    page = Image.new("RGB", PAGE, (240, 236, 226))
    draw = ImageDraw.Draw(page)
    draw.rectangle([30, 30, PAGE[0] - 30, PAGE[1] - 30], outline=(150, 120, 110), width=3)
    draw.text((70, 60), "МЕСТО ЖИТЕЛЬСТВА", font=_font(38), fill=(120, 40, 40))
    for index in range(3):
        top = 160 + index * 360
        draw.rectangle([60, top, PAGE[0] - 60, top + 320], outline=(70, 60, 120), width=4)
        draw.text((90, top + 30), "ЗАРЕГИСТРИРОВАН", font=_font(30), fill=(70, 60, 120))
        draw.text((90, top + 90), f"г. Примерное, ул. Образцовая, д. {index + 1}", font=_font(26), fill=(30, 30, 40))
        draw.text((90, top + 140), f"кв. {10 + index}   01.0{index + 1}.2015", font=_font(26), fill=(30, 30, 40))
    grain, strength = _noise(PAGE, rng, 0.06)
    return Image.blend(page, Image.merge("RGB", [grain] * 3), strength)


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Образец-Камера"  # Make
    exif[0x0110] = "Sample Phone 1"  # Model
    exif[0x0131] = "sample-generator"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (55.0, 45.0, 21.0)
    gps[3] = "E"
    gps[4] = (37.0, 37.0, 4.0)
    return exif.tobytes()


def _jpeg(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, **options)
    return out.getvalue()


def _pdf_of(images: list[Image.Image]) -> bytes:
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=260.0, save_all=True, append_images=images[1:])
    return out.getvalue()


def _pdf_raw(objects: list[bytes]) -> bytes:
    """A small PDF from object bodies (1-based numbering), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _text_pdf(extra_catalog: bytes = b"", extra_objects: list[bytes] | None = None, annots: bytes = b"") -> bytes:
    content = b"BT /F1 18 Tf 60 760 Td (Vypiska o polise OMS: OBRAZEC) Tj 0 -30 Td (ENP 8451999122899990) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra_catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + annots + b">>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *(extra_objects or []),
    ]
    return _pdf_raw(objects)


def _png_bomb(side: int = 30000) -> bytes:
    """A 1-bit PNG of side × side pixels (900 megapixels) that compresses to about 100 KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + side // 8)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def generate() -> dict[str, int]:
    rng = random.Random(20261201)
    photo = passport_photo_page(rng)
    registration = registration_page(rng)
    files: dict[str, bytes] = {}

    files["good-passport.jpg"] = _jpeg(photo, exif=_exif_with_gps())
    png = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "sample registration page")
    registration.convert("L").save(png, format="PNG", pnginfo=info, optimize=True)
    files["good-registration.png"] = png.getvalue()
    files["good-passport.pdf"] = _pdf_of([photo])
    files["good-two-pages.pdf"] = _pdf_of([photo, registration])
    files["good-text.pdf"] = _text_pdf()

    blurred = photo.filter(ImageFilter.GaussianBlur(5))
    files["blurred.jpg"] = _jpeg(blurred)
    files["blurred.pdf"] = _pdf_of([blurred])
    blank = Image.new("RGB", PAGE, (238, 236, 230))
    grain, _strength = _noise(PAGE, rng, 0.03)
    files["blank.jpg"] = _jpeg(Image.blend(blank, Image.merge("RGB", [grain] * 3), 0.03))
    files["tiny.jpg"] = _jpeg(photo.resize((300, 427), Image.Resampling.LANCZOS))
    files["dark.jpg"] = _jpeg(ImageEnhance.Brightness(photo).enhance(0.18))
    files["bright.jpg"] = _jpeg(photo.point(lambda value: min(255, int(value * 0.25 + 200))))

    files["hostile-bomb.png"] = _png_bomb()
    good = files["good-passport.jpg"]
    files["hostile-truncated.jpg"] = good[: len(good) * 6 // 10]
    files["hostile-page.html.jpg"] = (
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
    )
    files["hostile-image.svg.pdf"] = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>\n'
    )
    files["hostile-program.png"] = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + bytes(240)
    files["hostile-javascript.pdf"] = _text_pdf(
        extra_catalog=b"/OpenAction 6 0 R ", extra_objects=[b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"]
    )
    files["hostile-launch.pdf"] = _text_pdf(
        annots=b"/Annots [6 0 R] ",
        extra_objects=[b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /Launch /F (calc.exe) >> >>"],
    )
    files["hostile-embedded.pdf"] = _text_pdf(
        extra_catalog=b"/Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >> ",
        extra_objects=[
            b"<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>",
            b"<< /Type /EmbeddedFile /Length 4 >>\nstream\nMZ\x90\x00\nendstream",
        ],
    )
    files["hostile-xfa.pdf"] = _text_pdf(
        extra_catalog=b"/AcroForm << /Fields [] /XFA 6 0 R >> ",
        extra_objects=[b"<< /Length 9 >>\nstream\n<xdp:xdp>\nendstream"],
    )
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(files["good-text.pdf"])))
    writer.encrypt(user_password="secret", owner_password="owner-secret", algorithm="AES-128")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    files["hostile-encrypted.pdf"] = encrypted.getvalue()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        info = zipfile.ZipInfo("passport.jpg", date_time=(2026, 1, 1, 0, 0, 0))
        bundle.writestr(info, good)
    files["hostile-archive.zip.pdf"] = archive.getvalue()

    for name, data in files.items():
        (HERE / name).write_bytes(data)

    STATIC.mkdir(parents=True, exist_ok=True)
    example_size = (160, 113)
    spread = Image.new("RGB", (PAGE[0] * 2, PAGE[1]), (255, 255, 255))
    spread.paste(photo, (0, 0))
    spread.paste(registration, (PAGE[0], 0))
    good_example = spread.resize((320, 226), Image.Resampling.LANCZOS).resize(example_size, Image.Resampling.LANCZOS)
    bad_example = ImageEnhance.Brightness(spread.filter(ImageFilter.GaussianBlur(14))).enhance(0.45)
    bad_example = bad_example.rotate(8, fillcolor=(40, 40, 40)).resize(example_size, Image.Resampling.LANCZOS)
    good_example.save(STATIC / "scan-good.jpg", quality=85)
    bad_example.save(STATIC / "scan-bad.jpg", quality=85)
    return {name: len(data) for name, data in files.items()}


if __name__ == "__main__":
    for name, size in generate().items():
        print(f"{size:>9}  {name}")
