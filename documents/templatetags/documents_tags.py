"""Template helpers for the document slot include: is the slot open, the limits, the state label."""

from __future__ import annotations

from django import template
from django.conf import settings

from documents.constants import SlotState
from documents.selectors import document_slot_open as _slot_open

register = template.Library()


@register.simple_tag
def document_slot_open(policy_request, slot: str) -> bool:
    return _slot_open(request=policy_request, slot=slot)


@register.simple_tag
def document_limits() -> dict:
    return {
        "max_bytes": settings.DOCUMENT_MAX_BYTES,
        "max_pages": settings.DOCUMENT_PDF_MAX_PAGES,
        "max_files": settings.DOCUMENT_MAX_FILES_PER_SLOT,
    }


@register.filter
def slot_state_label(state: str) -> str:
    return SlotState(state).label


@register.simple_tag
def document_can_remove(policy_request, document) -> bool:
    """The citizen may delete or replace this file now (the rule of documents.services.document_delete)."""
    from oms_policy.constants import RequestStatus

    if not _slot_open(request=policy_request, slot=document.slot):
        return False
    return policy_request.status == RequestStatus.DRAFT or document.is_new_for_review
