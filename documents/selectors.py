"""Reads about the scans of a request: the state of each slot, for the form, the request page and review."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.shortcuts import get_object_or_404
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from documents.constants import DocumentStatus, SlotState
from documents.models import Document
from oms_policy.constants import DocumentSlot


@dataclass
class SlotSummary:
    slot: str
    required: bool
    documents: list[Document] = field(default_factory=list)

    @property
    def label(self) -> str:
        return DocumentSlot(self.slot).label

    @property
    def state(self) -> str:
        if not self.documents:
            return SlotState.EMPTY
        statuses = {document.status for document in self.documents}
        if DocumentStatus.FAILED in statuses:
            return SlotState.FAILED
        if DocumentStatus.CHECKING in statuses:
            return SlotState.CHECKING
        return SlotState.READY

    @property
    def blocks_submission(self) -> bool:
        if self.state in (SlotState.FAILED, SlotState.CHECKING):
            return True
        return self.required and self.state == SlotState.EMPTY


def document_slots_for_request(*, request, required: list[str], optional: list[str] = ()) -> list[SlotSummary]:
    """One summary per slot (required first, in the given order), with the request's documents in it.

    One query whatever the number of slots and documents.
    """
    summaries = {slot: SlotSummary(slot=slot, required=True) for slot in required}
    summaries.update({slot: SlotSummary(slot=slot, required=False) for slot in optional if slot not in summaries})
    for document in Document.objects.filter(request=request, slot__in=list(summaries)).order_by("uploaded_at", "pk"):
        summaries[document.slot].documents.append(document)
    return list(summaries.values())


def document_get_for_owner(*, user, document_uuid) -> Document:
    """The applicant's own document, or Http404."""
    return get_object_or_404(Document.objects.select_related("request"), uuid=document_uuid, request__applicant=user)


def document_slot_open(*, request, slot: str) -> bool:
    """Whether the citizen may still add or remove files in `slot` of `request`.

    A draft: any slot the request's kind of change needs (required or optional). Documents
    requested by the reviewer: only the slots asked for. Otherwise (sent, decided): no.
    """
    from oms_policy.constants import RequestStatus
    from oms_policy.services import policy_request_document_slots

    if request.status == RequestStatus.DRAFT:
        required, optional = policy_request_document_slots(request=request)
        return slot in required or slot in optional
    if request.status == RequestStatus.DOCUMENTS_REQUESTED:
        return slot in (request.requested_slots or [])
    return False


def document_slots_for_policy_request(*, request) -> list[SlotSummary]:
    """The slots of a request as its kind of change needs them (oms_policy's rule), with their files.

    While documents are requested, the requested slots come first and count as required.
    """
    from oms_policy.constants import RequestStatus
    from oms_policy.services import policy_request_document_slots

    required, optional = policy_request_document_slots(request=request)
    if request.status == RequestStatus.DOCUMENTS_REQUESTED and request.requested_slots:
        asked = [slot for slot in request.requested_slots if slot in DocumentSlot.values]
        rest = [slot for slot in [*required, *optional] if slot not in asked]
        return document_slots_for_request(request=request, required=asked, optional=rest)
    return document_slots_for_request(request=request, required=required, optional=optional)


def document_viewer_is_reviewer(*, user) -> bool:
    """Staff whose role lets them see citizens' scans: reviewers and superusers, active and staff."""
    from accounts.constants import StaffGroup

    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=StaffGroup.REVIEWERS).exists()


def document_get_for_viewer(*, http_request, document_uuid) -> tuple[Document, bool]:
    """The document if the person asking may see it, with whether they see it as staff; else Http404.

    The owner (the request's applicant) always; staff only when their role allows it (reviewers,
    superusers) and their session passed the admin's TOTP second factor. Everyone else — another
    citizen, anonymous, staff of other roles — gets 404, the same answer as for a document that
    does not exist, so document URLs reveal nothing.
    """
    from django.contrib import admin
    from django.http import Http404

    document = Document.objects.select_related("request").filter(uuid=document_uuid).first()
    user = http_request.user
    if document is None or not user.is_authenticated:
        raise Http404
    if document.request.applicant_id == user.pk:
        return document, False
    if document_viewer_is_reviewer(user=user) and admin.site.has_permission(http_request):
        return document, True
    raise Http404


def documents_size_total(*, request) -> int:
    return sum(
        Document.objects.filter(request=request, file_deleted_at=None).values_list("size", flat=True),
    )


def scan_metrics_text(metrics: dict) -> str:
    """The scan check's figures as the reviewer reads them, e.g. «900×1280 пикс. (короткая сторона 900),
    яркость 208,6 из 255, контраст 28,2, резкость 1097,2»; for a PDF one such part per page."""
    if "pages" in metrics:
        return "; ".join(
            _("стр. %(page)s: %(figures)s") % {"page": page.get("page", index), "figures": _image_figures_text(page)}
            for index, page in enumerate(metrics["pages"], start=1)
        )
    return _image_figures_text(metrics)


def _image_figures_text(figures: dict) -> str:
    if figures.get("measured") is False:
        return _("не измерена (сжатие, которое здесь не читается) — оцените на глаз")
    parts = []
    if "width" in figures and "height" in figures:
        parts.append(_("%(width)s×%(height)s пикс.") % {"width": figures["width"], "height": figures["height"]})
    for key, text in (
        ("short_side", _("короткая сторона %s")),
        ("mean", _("яркость %s из 255")),
        ("spread", _("контраст %s")),
        ("sharpness", _("резкость %s")),
    ):
        if key in figures:
            parts.append(text % number_format(figures[key]))
    return ", ".join(parts) or _("не измерена")
