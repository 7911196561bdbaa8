"""Helpers for review tests: submitted requests with numbers, scans with a real image file."""

from __future__ import annotations

import datetime
import io

from django.core.files.base import ContentFile
from django.utils import timezone

from oms_policy.constants import RequestStatus
from oms_policy.numbers import request_number_generate
from oms_policy.tests.factories import PolicyRequestFactory


def submitted_request(*, days_ago: float = 0, status: str = RequestStatus.SUBMITTED, **extra):
    """A submitted request with a number (tests only: the submission service is the citizen's part)."""
    values = {
        "status": status,
        "number": request_number_generate(),
        "submitted_at": timezone.now() - datetime.timedelta(days=days_ago),
        **extra,
    }
    return PolicyRequestFactory(**values)


def png_bytes(width: int = 40, height: int = 24) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def scan_make(*, request, slot: str, status: str = "passed", verdict: str = "", metrics=None, new: bool = False):
    """A Document row with a real small PNG in private storage."""
    from documents.models import Document

    content = png_bytes()
    document = Document(
        request=request,
        slot=slot,
        uploaded_by=request.applicant,
        original_name=f"{slot}.png",
        content_type="image/png",
        size=len(content),
        status=status,
        verdict=verdict,
        metrics=metrics or {},
        is_new_for_review=new,
        checked_at=timezone.now(),
    )
    document.file.save("scan.png", ContentFile(content), save=False)
    document.save()
    return document
