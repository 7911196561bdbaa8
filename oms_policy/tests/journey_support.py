"""Helpers for the citizen-journey tests: scans put straight into a request's slots (the upload
views belong to the documents app), a request moved by the real transition service, the catalogue."""

from __future__ import annotations

from django.core.files.base import ContentFile

from documents.constants import DocumentStatus
from documents.models import Document
from oms_policy.constants import ActorRole, DocumentSlot, RequestStatus
from oms_policy.models import Service
from oms_policy.services import policy_request_document_slots, policy_request_transition

VALID_ENP = "8451999122899990"


def document_add(*, request, slot: str, status: str = DocumentStatus.PASSED, name: str = "scan.jpg") -> Document:
    return Document.objects.create(
        request=request,
        slot=slot,
        uploaded_by=request.applicant,
        file=ContentFile(b"\xff\xd8\xff scan", name=name),
        original_name=name,
        content_type="image/jpeg",
        size=9,
        status=status,
    )


def documents_fill(*, request) -> list[Document]:
    """A passed scan in every required slot of the request."""
    required, _optional = policy_request_document_slots(request=request)
    return [document_add(request=request, slot=slot) for slot in required]


def request_move(*, request, to: str, reviewer=None, changes=None, comment: str = "") -> None:
    """Walk a submitted request through the status table to `to` as the right actors."""
    path = {
        RequestStatus.IN_REVIEW: [RequestStatus.IN_REVIEW],
        RequestStatus.DOCUMENTS_REQUESTED: [RequestStatus.IN_REVIEW, RequestStatus.DOCUMENTS_REQUESTED],
        RequestStatus.REJECTED: [RequestStatus.IN_REVIEW, RequestStatus.REJECTED],
        RequestStatus.APPROVED: [RequestStatus.IN_REVIEW, RequestStatus.APPROVED],
    }[to]
    for index, status in enumerate(path):
        last = index == len(path) - 1
        policy_request_transition(
            request_id=request.pk,
            new_status=status,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            comment=comment if last else "",
            changes={"reviewer": reviewer, **((changes or {}) if last else {})},
        )
    request.refresh_from_db()


def catalogue_ensure() -> None:
    """The first catalogue rows (a transactional test's flush removes the migration's rows)."""
    rows = [
        ("policy-update", "Обновление полиса ОМС", "полис, омс, обновить полис, продлить полис", "", 10),
        ("smo-change", "Смена страховой медицинской организации (СМО)", "смо, страховая компания", "smo_change", 20),
        ("data-correction", "Исправление данных в полисе ОМС", "фамилия, паспорт", "data_correction", 30),
    ]
    for slug, title, keywords, kind, position in rows:
        Service.objects.update_or_create(
            slug=slug,
            defaults={
                "title": title,
                "summary": "Кратко об услуге.",
                "keywords": keywords,
                "change_kind": kind,
                "position": position,
            },
        )


ALL_SLOTS = [slot.value for slot in DocumentSlot]
