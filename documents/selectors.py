"""Reads about the scans of a request: the state of each slot, for the form, the request page and review."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.shortcuts import get_object_or_404

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
