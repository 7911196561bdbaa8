"""Every hostile file is refused at upload with its own message: no 500, no row, nothing on disk."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document
from documents.tests.conftest import sample_bytes, sample_file, stored_files, upload_url

WRONG_TYPE = "Можно загрузить только фотографию или скан в формате JPEG, PNG или PDF. Этот файл — другого типа."
CORRUPT = "Файл повреждён или загружен не полностью: откройте его у себя, сохраните заново и загрузите ещё раз."
ACTIVE = (
    "PDF содержит скрипты или автоматические действия — такие файлы не принимаем. "
    "Сохраните документ заново («Печать» → «Сохранить как PDF») или загрузите фотографию страницы."
)

HOSTILE = [
    # (sample, the name the browser sends, the browser's content type, the message)
    (
        "hostile-bomb.png",
        "scan.png",
        "image/png",
        "Изображение слишком большое: больше 40 мегапикселей. Уменьшите его или сделайте снимок заново.",
    ),
    ("hostile-truncated.jpg", "scan.jpg", "image/jpeg", CORRUPT),
    ("hostile-page.html.jpg", "scan.jpg", "image/jpeg", WRONG_TYPE),
    ("hostile-image.svg.pdf", "scan.pdf", "application/pdf", WRONG_TYPE),
    ("hostile-program.png", "scan.png", "image/png", WRONG_TYPE),
    ("hostile-archive.zip.pdf", "scan.pdf", "application/pdf", WRONG_TYPE),
    ("hostile-javascript.pdf", "scan.pdf", "application/pdf", ACTIVE),
    ("hostile-launch.pdf", "scan.pdf", "application/pdf", ACTIVE),
    (
        "hostile-embedded.pdf",
        "scan.pdf",
        "application/pdf",
        "PDF содержит вложенные файлы. Загрузите PDF без вложений или фотографию страницы.",
    ),
    (
        "hostile-xfa.pdf",
        "scan.pdf",
        "application/pdf",
        "PDF содержит интерактивную форму или мультимедиа. Сохраните документ заново "
        "(«Печать» → «Сохранить как PDF») или загрузите фотографию страницы.",
    ),
    (
        "hostile-encrypted.pdf",
        "scan.pdf",
        "application/pdf",
        "PDF защищён паролем. Загрузите файл без пароля или фотографию страницы.",
    ),
]


@pytest.fixture
def upload_temp_dir(settings, tmp_path):
    """Where Django spools uploads (every document upload goes to a temporary file)."""
    folder = tmp_path / "upload-temp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


@pytest.mark.parametrize(("sample", "as_name", "content_type", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused_with_its_message(
    upload, settings, upload_temp_dir, sample, as_name, content_type, message
):
    response = upload(sample_file(sample, as_name=as_name, content_type=content_type))

    assert response.status_code == 400
    assert response.json()["results"] == [{"name": as_name, "ok": False, "message": message}]
    assert Document.objects.count() == 0
    assert stored_files(settings) == []
    assert list(upload_temp_dir.iterdir()) == []


def test_a_pdf_over_the_page_limit_is_refused(upload, settings):
    settings.DOCUMENT_PDF_MAX_PAGES = 1
    response = upload(sample_file("good-two-pages.pdf"))

    assert response.json()["results"][0]["message"] == (
        "В PDF 2 страниц, а можно не больше 1. Загрузите только нужные страницы."
    )
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_an_oversize_file_is_dropped_while_streaming(upload, settings, upload_temp_dir):
    settings.DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    big = sample_bytes("good-passport.jpg")
    big += b"\0" * (10 * 1024 * 1024 + 1 - len(big))
    response = upload(SimpleUploadedFile("большой.jpg", big, content_type="image/jpeg"))

    assert response.status_code == 400
    assert response.json()["results"] == [
        {
            "name": "большой.jpg",
            "ok": False,
            "message": "Файл больше 10,0\xa0МБ. Сожмите снимок или отсканируйте с меньшим разрешением.",
        }
    ]
    assert Document.objects.count() == 0
    assert stored_files(settings) == []
    assert list(upload_temp_dir.iterdir()) == []


def test_an_empty_post_asks_for_a_file(upload):
    response = upload()
    assert response.json()["results"] == [{"name": "", "ok": False, "message": "Выберите файл, чтобы загрузить его."}]


@pytest.mark.parametrize(
    ("sent_name", "shown_name"),
    [
        ("../../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\scan.jpg", "scan.jpg"),
        # A right-to-left override would show «photoexe.jpg»; the honest name is kept without it.
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("\u2067паспорт\u2069\u200b.jpg", "паспорт.jpg"),
        ("<img src=x onerror=alert(1)>.jpg", "<img src=x onerror=alert(1)>.jpg"),
    ],
)
def test_hostile_names_are_display_text_only(upload, citizen_client, draft, settings, sent_name, shown_name):
    response = upload(sample_file("good-passport.jpg", as_name=sent_name))

    document = Document.objects.get()
    assert response.json()["results"][0]["ok"] is True
    assert document.original_name == shown_name
    assert document.uuid.hex in document.file.name
    assert "passwd" not in document.file.name and "onerror" not in document.file.name
    page = citizen_client.get(reverse("documents:request-documents", args=[draft.pk]))
    html = page.content.decode()
    assert "<img src=x onerror" not in html
    if "onerror" in shown_name:
        assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in html
    assert "\u202e" not in html


def test_one_bad_file_among_good_ones_is_refused_alone(upload, settings):
    response = upload(
        sample_file("good-passport.jpg", as_name="стр1.jpg"),
        sample_file("hostile-page.html.jpg", as_name="стр2.jpg"),
        sample_file("good-registration.png", as_name="стр3.png"),
    )

    assert response.status_code == 200
    assert [(r["name"], r["ok"]) for r in response.json()["results"]] == [
        ("стр1.jpg", True),
        ("стр2.jpg", False),
        ("стр3.png", True),
    ]
    assert sorted(Document.objects.values_list("original_name", flat=True)) == ["стр1.jpg", "стр3.png"]


def test_without_javascript_the_refusal_comes_back_as_a_message(citizen_client, draft, settings):
    next_url = reverse("documents:request-documents", args=[draft.pk])
    response = citizen_client.post(
        upload_url(draft),
        {"file": sample_file("hostile-program.png", as_name="фото.png"), "next": next_url},
        follow=True,
    )

    assert response.redirect_chain == [(next_url, 302)]
    assert [str(m) for m in response.context["messages"]] == [f"Файл «фото.png» не принят: {WRONG_TYPE}"]
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_a_truncated_jpeg_is_refused_even_after_weasyprint_is_imported():
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES globally on import; the checks must not care."""
    import io

    import weasyprint  # noqa: F401 - imported for its side effect on Pillow
    from django.core.exceptions import ValidationError
    from PIL import ImageFile

    from documents.inspection import file_inspect
    from documents.scan import FileUnreadable, image_decode

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = sample_bytes("hostile-truncated.jpg")
    with pytest.raises(ValidationError):
        file_inspect(file=io.BytesIO(data))
    with pytest.raises(FileUnreadable):
        image_decode(io.BytesIO(data), "image/jpeg")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
