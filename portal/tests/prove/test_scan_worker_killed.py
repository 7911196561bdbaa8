"""A real Celery worker SIGKILLed in the middle of the scan check (the clean copy written, the row not
yet committed): after a new worker takes the redelivered task the check finishes exactly once —
one verdict, one clean copy, one preview, the original removed and nothing else left in storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from documents import services
from documents.constants import DocumentStatus, Verdict
from documents.models import Document
from documents.tests.conftest import sample_file
from oms_policy.tests.factories import PolicyRequestFactory
from oms_policy.tests.test_policy_worker import _wait_for, workers  # noqa: F401 - the fixture

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]


def _stored(root: Path) -> list[Path]:
    return sorted(path.relative_to(root) for path in root.rglob("*") if path.is_file())


def test_a_worker_killed_mid_scan_check_finishes_exactly_once_after_a_restart(workers, citizen):  # noqa: F811
    private = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    first = workers.start(TEST_SCAN_CHECK_PAUSE_SECONDS="60")
    draft = PolicyRequestFactory(applicant=citizen)
    document = services.document_upload(
        request=draft, slot="passport_photo", uploaded_file=sample_file("good-passport.jpg"), user=citizen
    )
    original = document.file.name
    _wait_for(lambda: (private / f"{original}.clean").exists(), timeout=60, what="the first worker's clean copy")
    workers.kill(first)
    document.refresh_from_db()
    assert (document.status, document.file.name, document.checked_at) == (DocumentStatus.CHECKING, original, None)

    workers.start()  # the message comes back after the visibility timeout
    try:
        done = _wait_for(
            lambda: (
                Document.objects.filter(pk=document.pk)
                .exclude(status=DocumentStatus.CHECKING)
                .exclude(preview="")
                .first()
            ),
            timeout=90,
            what="the redelivered scan check and its preview",
        )
    finally:
        print("worker log:", (workers.log_dir / "worker-1.log").read_text()[-3000:])  # shown on failure
    assert (done.status, done.verdict_code) == (DocumentStatus.PASSED, Verdict.READABLE)
    assert done.file.name == f"{original}.clean"
    # Exactly the clean copy and the preview: the original is gone and the killed run left nothing.
    assert _stored(private) == sorted([Path(done.file.name), Path(done.preview.name)])
