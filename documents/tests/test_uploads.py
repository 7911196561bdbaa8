"""documents.uploads.SizeLimitedUploadHandler: over-size files are dropped while they stream in."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory


def _parse(settings, size: int):
    settings.UPLOAD_MAX_BYTES = 2048
    request = RequestFactory().post(
        "/upload/",
        {"before": "до", "scan": SimpleUploadedFile("scan.jpg", b"x" * size), "after": "после"},
    )
    return request, request.FILES, request.POST


def test_a_file_over_the_limit_is_skipped_and_other_fields_survive(settings):
    request, files, post = _parse(settings, 5000)
    assert "scan" not in files
    assert request.oversized_uploads == {"scan"}
    # Fields on both sides of the dropped file are still there: nothing typed is lost.
    assert post["before"] == "до"
    assert post["after"] == "после"


def test_a_file_within_the_limit_arrives_whole(settings):
    request, files, post = _parse(settings, 2048)
    assert files["scan"].read() == b"x" * 2048
    assert request.oversized_uploads == set()
    assert post["after"] == "после"


def test_the_default_limit_follows_the_video_limit():
    from django.conf import settings as live

    assert live.UPLOAD_MAX_BYTES == live.IDENTITY_VIDEO_MAX_BYTES == 50 * 1024 * 1024
    assert live.FILE_UPLOAD_HANDLERS[0] == "documents.uploads.SizeLimitedUploadHandler"
