"""The scan check and the preview run in a real Celery worker against Redis."""

from __future__ import annotations

import time

import pytest

from documents import services
from documents.constants import DocumentStatus, Verdict
from documents.models import Document
from documents.tests.conftest import sample_file, worker_storage_clean
from oms_policy.tests.factories import PolicyRequestFactory


@pytest.mark.worker
def test_scan_checks_run_in_a_real_worker(worker_storage, celery_worker, citizen):
    draft = PolicyRequestFactory(applicant=citizen)
    good = services.document_upload(
        request=draft, slot="passport_photo", uploaded_file=sample_file("good-passport.jpg"), user=citizen
    )
    blurred = services.document_upload(
        request=draft, slot="passport_registration", uploaded_file=sample_file("blurred.jpg"), user=citizen
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = list(Document.objects.filter(pk__in=[good.pk, blurred.pk]).order_by("pk"))
            if all(row.status != DocumentStatus.CHECKING and row.preview for row in rows):
                break
            time.sleep(0.3)
        good.refresh_from_db()
        blurred.refresh_from_db()
        assert (good.status, good.verdict_code) == (DocumentStatus.PASSED, Verdict.READABLE)
        assert (blurred.status, blurred.verdict_code) == (DocumentStatus.FAILED, Verdict.BLURRY)
        assert good.preview and blurred.preview
        # The worker swapped in the clean copies and removed the originals.
        assert (worker_storage / good.file.name).is_file()
        assert not (worker_storage / f"documents/{good.uuid.hex[:2]}/{good.uuid.hex}").exists()
    finally:
        worker_storage_clean(worker_storage, Document.objects.filter(pk__in=[good.pk, blurred.pk]))
