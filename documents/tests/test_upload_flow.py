"""Upload through the view: a good scan is stored under a UUID name, checked, and gets a preview."""

from __future__ import annotations

from PIL import Image

from documents.constants import DocumentStatus, Verdict
from documents.models import Document
from documents.tests.conftest import sample_file, stored_files


def test_a_good_jpeg_is_stored_checked_cleaned_and_previewed(upload, draft, settings):
    response = upload(sample_file("good-passport.jpg", as_name="Паспорт.jpg"))

    assert response.status_code == 200
    body = response.json()
    assert [(r["name"], r["ok"]) for r in body["results"]] == [("Паспорт.jpg", True)]
    document = Document.objects.get()
    assert str(document.uuid) == body["results"][0]["uuid"]
    assert document.request == draft
    assert document.slot == "passport_photo"
    assert document.original_name == "Паспорт.jpg"
    assert document.content_type == "image/jpeg"
    assert document.status == DocumentStatus.PASSED
    assert document.verdict_code == Verdict.READABLE
    assert document.verdict == "Скан читается"
    assert document.metrics["short_side"] == 900
    assert document.checked_at is not None
    assert document.is_new_for_review is False
    # The storage name is the UUID (and a suffix for the clean copy), never the citizen's name.
    assert document.file.name.startswith(f"documents/{document.uuid.hex[:2]}/{document.uuid.hex}.")
    assert document.preview.name == f"previews/{document.uuid.hex[:2]}/{document.uuid.hex}.jpg"
    # Only the clean copy and the preview are left: the original with its EXIF is gone.
    assert [p.name for p in stored_files(settings)] == [
        document.file.name.rsplit("/", 1)[1],
        f"{document.uuid.hex}.jpg",
    ]
    with document.file.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    with document.preview.open("rb") as handle, Image.open(handle) as image:
        assert max(image.size) == 480
