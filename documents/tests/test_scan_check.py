"""The scan check: each sample gets its verdict, clean copies lose their metadata, it is safe to run
twice, and an antivirus that is down never lets a file through."""

from __future__ import annotations

import io
import socket
import struct
import threading
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from documents import services
from documents.antivirus import ScannerUnavailable
from documents.constants import DocumentStatus, Verdict
from documents.models import Document
from documents.tests.conftest import sample_bytes, sample_file, stored_files

GOOD = ["good-passport.jpg", "good-registration.png", "good-passport.pdf", "good-two-pages.pdf", "good-text.pdf"]
BAD = [
    ("blurred.jpg", Verdict.BLURRY, "Скан размыт: переснимите при хорошем освещении, держите телефон неподвижно"),
    ("blurred.pdf", Verdict.BLURRY, "Скан размыт: переснимите при хорошем освещении, держите телефон неподвижно"),
    ("blank.jpg", Verdict.BLANK, "На скане ничего не видно: загрузите снимок страницы документа"),
    (
        "tiny.jpg",
        Verdict.TOO_SMALL,
        "Скан слишком мелкий: сфотографируйте страницу ближе или сканируйте с разрешением от 150 dpi",
    ),
    ("dark.jpg", Verdict.TOO_DARK, "Скан слишком тёмный: переснимите при хорошем освещении"),
    ("bright.jpg", Verdict.TOO_BRIGHT, "Скан засвечен: переснимите без вспышки и бликов"),
]


@pytest.mark.parametrize("sample", GOOD)
def test_each_good_sample_passes(upload, sample):
    assert upload(sample_file(sample)).status_code == 200

    document = Document.objects.get()
    assert (document.status, document.verdict_code, document.verdict) == (
        DocumentStatus.PASSED,
        Verdict.READABLE,
        "Скан читается",
    )


@pytest.mark.parametrize(("sample", "verdict", "text"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_scan_gets_its_verdict(upload, citizen_client, draft, sample, verdict, text):
    upload(sample_file(sample))

    document = Document.objects.get()
    assert (document.status, document.verdict_code, document.verdict) == (DocumentStatus.FAILED, verdict, text)
    # The file stays (the citizen sees what was wrong and replaces it); the figures are stored.
    assert document.file and document.file_deleted_at is None
    assert document.metrics
    # The citizen sees the verdict next to the file, and the slot asks for a replacement.
    status = citizen_client.get(f"/documents/status/{draft.pk}/").json()
    slot = next(s for s in status["slots"] if s["slot"] == "passport_photo")
    assert slot["state"] == "failed" and slot["blocks_submission"] is True
    assert slot["documents"] == [
        {"uuid": str(document.uuid), "status": "failed", "verdict_code": str(verdict), "verdict": text}
    ]
    assert text in slot["html"]


def test_the_measured_figures_of_a_pdf_are_per_page(upload):
    upload(sample_file("good-two-pages.pdf"))
    pages = Document.objects.get().metrics["pages"]
    assert [(p["page"], p["verdict"], p["short_side"]) for p in pages] == [(1, "readable", 900), (2, "readable", 900)]


def test_stored_images_have_no_exif_gps_or_text_chunks(upload):
    with Image.open(io.BytesIO(sample_bytes("good-passport.jpg"))) as original:
        assert original.getexif().get_ifd(0x8825)  # the sample does carry GPS
    with Image.open(io.BytesIO(sample_bytes("good-registration.png"))) as original:
        assert original.info["Comment"] == "sample registration page"
    upload(sample_file("good-passport.jpg"), sample_file("good-registration.png"))

    for document in Document.objects.all():
        with document.file.open("rb") as handle, Image.open(handle) as stored:
            assert dict(stored.getexif()) == {}
            assert stored.info.keys() <= {"dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive"}
            assert "exif" not in stored.info and "Comment" not in stored.info


def test_bytes_appended_after_the_image_do_not_survive(upload):
    payload = b"<?php system($_GET['c']); ?>"
    upload(SimpleUploadedFile("scan.jpg", sample_bytes("good-passport.jpg") + payload))

    document = Document.objects.get()
    assert document.status == DocumentStatus.PASSED
    with document.file.open("rb") as handle:
        assert payload not in handle.read()


def test_the_scan_check_is_safe_to_run_twice(citizen, draft, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = services.document_upload(
            request=draft, slot="passport_photo", uploaded_file=sample_file("good-passport.jpg"), user=citizen
        )
    assert len(callbacks) == 1  # the scan check, after commit

    with django_capture_on_commit_callbacks(execute=True) as after_first:
        assert services.scan_check(document_id=document.pk) == "readable"
    document.refresh_from_db()
    first = (document.file.name, document.checked_at, document.metrics, document.preview.name)
    with django_capture_on_commit_callbacks(execute=True) as after_second:
        assert services.scan_check(document_id=document.pk) == "skipped"
    document.refresh_from_db()
    assert (document.file.name, document.checked_at, document.metrics, document.preview.name) == first
    assert (len(after_first), len(after_second)) == (2, 0)  # delete the original, make the preview; then nothing
    # One clean copy and one preview; the original is gone.
    assert [p.name for p in stored_files(settings)] == [
        document.file.name.rsplit("/", 1)[1],
        f"{document.uuid.hex}.jpg",
    ]
    assert services.document_preview_make(document_id=document.pk) is False


def _png_with_garbage_pixels() -> bytes:
    """A PNG whose chunks and CRCs are right but whose pixel data does not inflate."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 800, 800, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"x\x9c" + b"\xff" * 500) + chunk(b"IEND", b"")
    )


def _assert_failed_as_damaged_and_deleted(settings) -> None:
    """The one document is refused as damaged, its file deleted and nothing left in storage."""
    document = Document.objects.get()
    assert (document.status, document.verdict_code, document.verdict) == (
        DocumentStatus.FAILED,
        Verdict.CORRUPT,
        "Файл повреждён: загрузите его заново",
    )
    assert document.file_deleted_at is not None
    assert stored_files(settings) == []


def test_a_file_that_only_the_full_decode_finds_corrupt_is_failed_and_deleted(upload, settings):
    response = upload(SimpleUploadedFile("scan.png", _png_with_garbage_pixels()))
    assert response.json()["results"][0]["ok"] is True  # the cheap checks at upload let it through

    _assert_failed_as_damaged_and_deleted(settings)


def test_a_16_bit_grey_png_scan_passes_like_its_8_bit_copy(upload):
    from documents.tests.test_png_bands import _well_exposed_grey_scan

    _eight, sixteen = _well_exposed_grey_scan()  # a scanner's 16-bit grey page (Pillow's mode I;16)
    upload(SimpleUploadedFile("scan.png", sixteen))

    document = Document.objects.get()
    assert (document.status, document.verdict_code, document.verdict) == (
        DocumentStatus.PASSED,
        Verdict.READABLE,
        "Скан читается",
    )


def test_a_png_scan_missing_its_bottom_rows_is_failed_as_damaged_and_deleted(upload, settings):
    from documents.tests.test_png_bands import _cut_on_a_row, _page, _png

    # The header says 1755 rows; the pixel data ends properly after 1200 (Pillow would add zeros).
    cut = _cut_on_a_row(_png(_page((1241, 1755), seed=5).convert("L")), 1200)
    response = upload(SimpleUploadedFile("scan.png", cut))
    assert response.json()["results"][0]["ok"] is True  # the cheap checks at upload let it through

    _assert_failed_as_damaged_and_deleted(settings)


# --- antivirus: a fake clamd on a local socket ----------------------------------------------------


class FakeClamd:
    """Speaks clamd's INSTREAM: reads the chunks, answers with `reply` (or closes the socket)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.received: list[bytes] = []
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_exact(self, conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise ConnectionError
            data += part
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _address = self.server.accept()
            except OSError:
                return
            with conn:
                try:
                    assert self._read_exact(conn, 10) == b"zINSTREAM\0"
                    body = b""
                    while True:
                        (length,) = struct.unpack("!L", self._read_exact(conn, 4))
                        if length == 0:
                            break
                        body += self._read_exact(conn, length)
                    self.received.append(body)
                    if self.reply is not None:
                        conn.sendall(self.reply)
                except (ConnectionError, AssertionError):
                    pass

    def stop(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture
def clamd(settings):
    servers: list[FakeClamd] = []

    def start(reply: bytes | None) -> FakeClamd:
        server = FakeClamd(reply)
        servers.append(server)
        settings.DOCUMENT_ANTIVIRUS = "clamd"
        settings.CLAMD_ADDRESS = f"tcp://127.0.0.1:{server.port}"
        settings.CLAMD_TIMEOUT_SECONDS = 5
        return server

    yield start
    for server in servers:
        server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_clean_answer_lets_the_check_go_on(upload, clamd):
    server = clamd(b"stream: OK\0")
    upload(sample_file("good-passport.jpg"))

    assert server.received == [sample_bytes("good-passport.jpg")]
    assert Document.objects.get().status == DocumentStatus.PASSED


def test_an_infected_file_is_failed_and_deleted(upload, clamd, settings):
    clamd(b"stream: Eicar-Test-Signature FOUND\0")
    upload(sample_file("good-passport.jpg"))

    document = Document.objects.get()
    assert (document.status, document.verdict_code, document.verdict) == (
        DocumentStatus.FAILED,
        Verdict.INFECTED,
        "Файл не прошёл проверку антивирусом: загрузите другой файл",
    )
    assert document.metrics == {"antivirus": "Eicar-Test-Signature"}
    assert document.file_deleted_at is not None
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "reply", [None, b"INSTREAM size limit exceeded. ERROR\0", b"\0"], ids=["hangs-up", "error", "empty"]
)
def test_a_scanner_without_a_verdict_never_lets_the_file_through(citizen, draft, clamd, reply):
    clamd(reply)
    document = services.document_upload(
        request=draft, slot="passport_photo", uploaded_file=sample_file("good-passport.jpg"), user=citizen
    )
    with pytest.raises(ScannerUnavailable):
        services.scan_check(document_id=document.pk)
    document.refresh_from_db()
    assert (document.status, document.verdict_code, document.checked_at) == (DocumentStatus.CHECKING, "", None)


def test_a_scanner_that_is_down_keeps_the_document_checking_until_it_is_back(
    upload, citizen_client, draft, clamd, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_ANTIVIRUS = "clamd"
    settings.CLAMD_ADDRESS = f"tcp://127.0.0.1:{_free_port()}"  # nobody listens
    response = upload(sample_file("good-passport.jpg"))
    assert response.json()["results"][0]["ok"] is True  # the task retried and gave up: the upload stands

    document = Document.objects.get()
    assert document.status == DocumentStatus.CHECKING
    slot = next(s for s in citizen_client.get(f"/documents/status/{draft.pk}/").json()["slots"] if s["checking"])
    assert slot["state"] == "checking" and slot["blocks_submission"] is True

    clamd(b"stream: OK\0")  # the scanner is back; the beat sweep enqueues the check again
    with django_capture_on_commit_callbacks(execute=True):
        assert services.documents_scan_check_resume(older_than_seconds=0) == 1
    document.refresh_from_db()
    assert document.status == DocumentStatus.PASSED


def test_a_file_lost_from_storage_is_failed_not_retried(citizen, draft):
    document = services.document_upload(
        request=draft, slot="passport_photo", uploaded_file=sample_file("good-passport.jpg"), user=citizen
    )
    document.file.storage.delete(document.file.name)
    assert services.scan_check(document_id=document.pk) == "corrupt"
    document.refresh_from_db()
    assert (document.status, document.verdict_code) == (DocumentStatus.FAILED, Verdict.CORRUPT)
    assert document.file_deleted_at is not None


def test_the_resume_sweep_takes_the_last_day_only(citizen, draft, django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    fresh = services.document_upload(
        request=draft, slot="passport_photo", uploaded_file=sample_file("good-passport.jpg"), user=citizen
    )
    old = services.document_upload(
        request=draft, slot="passport_photo", uploaded_file=sample_file("good-passport.jpg"), user=citizen
    )
    now = timezone.now()
    Document.objects.filter(pk=fresh.pk).update(uploaded_at=now - datetime.timedelta(minutes=10))
    Document.objects.filter(pk=old.pk).update(uploaded_at=now - datetime.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.documents_scan_check_resume(now=now) == 1
    assert len(callbacks) == 1


def _pdf_with_an_image_filter(filter_name: bytes) -> bytes:
    data = b"\x00" * 64
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>",
        b"<< /Length 36 >>\nstream\nq 600 0 0 800 0 0 cm /Im0 Do Q     \nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 600 /Height 800 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter " + filter_name + b" /Length 64 >>\nstream\n" + data + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
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


def test_a_pdf_page_in_a_compression_we_cannot_decode_is_left_to_the_reviewer(upload):
    upload(SimpleUploadedFile("scan.pdf", _pdf_with_an_image_filter(b"/NoSuchDecode")))

    document = Document.objects.get()
    assert (document.status, document.verdict_code) == (DocumentStatus.PASSED, Verdict.READABLE)
    assert document.metrics == {"pages": [{"page": 1, "measured": False, "verdict": "readable"}]}
    assert document.file and not document.preview  # nothing to draw a preview from


def _turned_photo(**save_options) -> tuple[bytes, Image.Image]:
    """The passport sample as a phone stores a portrait photo: pixels sideways, EXIF orientation 6, GPS."""
    with Image.open(io.BytesIO(sample_bytes("good-passport.jpg"))) as original:
        sideways = original.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (55.0, 45.0, 12.0)  # GPS latitude
    out = io.BytesIO()
    sideways.save(out, format="JPEG", quality=90, exif=exif, comment=b"holiday", **save_options)
    return out.getvalue(), sideways


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_a_turned_phone_photo_keeps_its_pixels_and_only_the_orientation(upload, progressive):
    data, _sideways = _turned_photo(progressive=progressive)
    upload(SimpleUploadedFile("photo.jpg", data + b"TRAILER"))

    document = Document.objects.get()
    assert (document.status, document.verdict_code) == (DocumentStatus.PASSED, Verdict.READABLE)
    # The figures are those of the upright page (900 × 1280), as the reviewer sees it.
    assert (document.metrics["width"], document.metrics["height"]) == (900, 1280)
    with document.file.open("rb") as handle:
        stored_bytes = handle.read()
    assert b"TRAILER" not in stored_bytes and b"holiday" not in stored_bytes and b"PhoneMaker" not in stored_bytes
    with Image.open(io.BytesIO(stored_bytes)) as stored, Image.open(io.BytesIO(data)) as original:
        assert dict(stored.getexif()) == {0x0112: 6}  # no GPS, no camera: only which way is up
        assert stored.tobytes() == original.tobytes()  # the coded pixels are copied, not re-encoded
    # The preview is upright.
    with document.preview.open("rb") as handle, Image.open(handle) as preview:
        assert preview.height > preview.width


def test_a_cmyk_jpeg_keeps_its_colours(upload):
    with Image.open(io.BytesIO(sample_bytes("good-passport.jpg"))) as original:
        cmyk = original.convert("CMYK")
    out = io.BytesIO()
    cmyk.save(out, format="JPEG", quality=90)  # Pillow writes the Adobe marker that says how to read it
    upload(SimpleUploadedFile("scan.jpg", out.getvalue()))

    document = Document.objects.get()
    assert document.status == DocumentStatus.PASSED
    with document.file.open("rb") as handle, Image.open(handle) as stored:
        assert stored.mode == "CMYK"
        assert stored.tobytes() == Image.open(io.BytesIO(out.getvalue())).tobytes()


def test_a_turned_png_is_stored_upright_without_its_exif(upload):
    with Image.open(io.BytesIO(sample_bytes("good-registration.png"))) as original:
        sideways = original.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    sideways.save(out, format="PNG", exif=exif)
    upload(SimpleUploadedFile("scan.png", out.getvalue()))

    document = Document.objects.get()
    assert document.status == DocumentStatus.PASSED
    with document.file.open("rb") as handle, Image.open(handle) as stored:
        assert stored.size == (900, 1280) and dict(stored.getexif()) == {}


def test_the_jpeg_rebuild_refuses_what_it_does_not_know():
    from documents.scan import jpeg_rebuild, png_rebuild

    good = sample_bytes("good-passport.jpg")
    assert jpeg_rebuild(good) is not None
    assert jpeg_rebuild(good[:2] + b"garbage" + good[2:]) is None
    assert jpeg_rebuild(good[: len(good) // 2]) is None  # no end marker
    assert png_rebuild(io.BytesIO(sample_bytes("good-registration.png")[:-12])) is None  # no IEND
