"""Reads from the policy catalogue."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat, Lower, Replace
from django.shortcuts import get_object_or_404

from oms_policy.constants import PolicyStatus, RequestStatus, VerifyState
from oms_policy.models import (
    InsuranceCompany,
    Policy,
    PolicyDocument,
    PolicyRequest,
    Region,
    Service,
    StatusChange,
)


def region_list() -> QuerySet[Region]:
    """All subjects of the Federation, by name (the order a citizen looks for them in)."""
    return Region.objects.order_by("name")


def region_list_served() -> QuerySet[Region]:
    """Regions where at least one СМО works in OMS: a policy can only be issued with an insurer, so
    the form offers only these (an approved request in a region without one could never be issued)."""
    return Region.objects.filter(insurance_companies__is_active=True).distinct().order_by("name")


def insurance_company_list(*, region: Region | None = None) -> QuerySet[InsuranceCompany]:
    """Active СМО, optionally only those working in `region`; the region is joined for display."""
    companies = InsuranceCompany.objects.filter(is_active=True).select_related("region")
    if region is not None:
        companies = companies.filter(region=region)
    return companies.order_by("name", "federal_code")


def policy_active_for(*, holder) -> Policy | None:
    """The holder's current policy (at most one is active, a database constraint), or None."""
    return (
        Policy.objects.filter(holder=holder, status=PolicyStatus.ACTIVE)
        .select_related("insurance_company", "region")
        .first()
    )


def policy_request_get_for_applicant(*, applicant, request_id: int) -> PolicyRequest:
    """The applicant's own request, or Http404 (another citizen's request does not exist for them)."""
    return get_object_or_404(
        PolicyRequest.objects.select_related("new_insurance_company__region", "region", "resubmission_of"),
        pk=request_id,
        applicant=applicant,
    )


def policy_request_list_for_applicant(*, applicant) -> QuerySet[PolicyRequest]:
    """Every request of the applicant, drafts included, newest first: one query, no joins needed."""
    return PolicyRequest.objects.filter(applicant=applicant).order_by("-created_at", "-pk")


def status_change_list(*, request: PolicyRequest) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(request=request).order_by("at", "pk")


# --- the «Мои услуги» catalogue -------------------------------------------------------------------

_WORD = re.compile(r"[0-9a-zа-я]+")


def search_text_normalize(value: str) -> str:
    """Lower case, «ё» as «е»: people type either, and the catalogue spells either."""
    return (value or "").lower().replace("ё", "е")


def search_words(value: str) -> list[str]:
    return _WORD.findall(search_text_normalize(value))


def service_list() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).order_by("position", "title")


def service_get(*, slug: str) -> Service:
    return get_object_or_404(Service, slug=slug, is_active=True)


def service_search(*, query: str) -> list[Service]:
    """Active services matching every word of `query`, best first; all of them for an empty query.

    A word matches when the catalogue has it (any case, «ё» = «е»), a word starting with it, a word
    with the same first letters («обновить» ~ «обновление») or a word one or two typing mistakes
    away («полюс» ~ «полис»). PostgreSQL does this with full-text search (the Russian stemmer) and
    pg_trgm's word similarity; other databases (SQLite in development) with the same rules in Python.
    """
    words = search_words(query)[:8]
    if not words:
        return list(service_list())
    if connection.vendor == "postgresql":
        return _service_search_postgres(words)
    return service_search_python(services=list(service_list()), words=words)


def _service_document():
    text = Concat("title", Value(" "), "keywords", output_field=TextField())
    return Replace(Lower(text), Value("ё"), Value("е"), output_field=TextField())


def _service_search_postgres(words: list[str]) -> list[Service]:
    document = _service_document()
    services = service_list().annotate(document=document)
    condition = Q()
    rank = Value(0.0, output_field=FloatField())
    for index, word in enumerate(words):
        vector = SearchVector("document", config="russian")
        query = SearchQuery(word, config="russian")
        similarity = TrigramWordSimilarity(Value(word), "document")
        services = services.annotate(**{f"match_{index}": vector, f"similar_{index}": similarity})
        # A word of 1–2 letters is too short for trigrams: it must start a word of the catalogue.
        if len(word) < 3:
            condition &= Q(document__regex=rf"(^|[^0-9a-zа-я]){word}")
        else:
            condition &= (
                Q(**{f"match_{index}": query})
                | Q(**{f"similar_{index}__gte": TRIGRAM_MIN_SIMILARITY})
                | Q(document__contains=word)
            )
        rank = rank + F(f"similar_{index}")
    return list(services.filter(condition).annotate(rank=rank).order_by("-rank", "position", "title"))


TRIGRAM_MIN_SIMILARITY = 0.45


def _edit_distance(first: str, second: str, *, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it is sure to pass `limit`."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous = list(range(len(second) + 1))
    for i, char in enumerate(first, start=1):
        current = [i]
        for j, other in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _word_matches(word: str, candidates: list[str]) -> bool:
    allowed_typos = 0 if len(word) < 4 else 1 if len(word) < 7 else 2
    for candidate in candidates:
        if candidate.startswith(word):
            return True
        if len(word) >= 4 and len(candidate) >= 4 and candidate[:4] == word[:4] and len(word) <= len(candidate) + 1:
            return True
        if allowed_typos and (
            _edit_distance(word, candidate, limit=allowed_typos) <= allowed_typos
            or _edit_distance(word, candidate[: len(word)], limit=allowed_typos) <= allowed_typos
        ):
            return True
    return False


def service_search_python(*, services: list[Service], words: list[str]) -> list[Service]:
    """The search of `service_search` without PostgreSQL: the same rules over a short list."""
    found = []
    for service in services:
        candidates = search_words(f"{service.title} {service.keywords}")
        if all(_word_matches(word, candidates) for word in words):
            found.append(service)
    return found


# --- the citizen's requests -----------------------------------------------------------------------


def policy_request_draft_get_for_applicant(*, applicant, request_id: int) -> PolicyRequest:
    return get_object_or_404(
        PolicyRequest.objects.select_related("region", "new_insurance_company", "resubmission_of"),
        pk=request_id,
        applicant=applicant,
    )


def policy_request_drafts_for_applicant(*, applicant) -> QuerySet[PolicyRequest]:
    return PolicyRequest.objects.filter(applicant=applicant, status=RequestStatus.DRAFT).order_by("-updated_at")


def policy_request_slots(*, request: PolicyRequest):
    """The request's document slots with their scans (one query)."""
    from documents.selectors import document_slots_for_request
    from oms_policy.services import policy_request_document_slots

    required, optional = policy_request_document_slots(request=request)
    return document_slots_for_request(request=request, required=required, optional=optional)


# --- the electronic policy ---------------------------------------------------------------------


def policy_document_list_for(*, holder) -> QuerySet[PolicyDocument]:
    """Every policy document of the holder, newest version first (the current one is first)."""
    return PolicyDocument.objects.filter(holder=holder).select_related("policy").order_by("-version")


def policy_document_get_for_holder(*, holder, document_id) -> PolicyDocument:
    """The holder's own document, or Http404 (another person's document does not exist for them)."""
    return get_object_or_404(PolicyDocument, pk=document_id, holder=holder)


@dataclass(frozen=True)
class PolicyVerification:
    """What the public verification page may say: the state, a masked name, a year. Nothing else."""

    state: str
    holder_masked: str = ""
    birth_year: str = ""


def name_mask(*, last_name: str, first_name: str, patronymic: str) -> str:
    """«Иванов И. И.»: the surname and initials, as a clinic compares them with a passport."""
    initials = " ".join(f"{part.strip()[0]}." for part in (first_name, patronymic) if part.strip())
    return f"{last_name.strip()} {initials}".strip()


def policy_document_verify(*, token: str) -> PolicyVerification:
    """Look a document up by the token in its QR code (its random uuid); unknown for anything else."""
    try:
        document_id = uuid.UUID(token)
    except (ValueError, AttributeError, TypeError):
        return PolicyVerification(state=VerifyState.UNKNOWN)
    document = PolicyDocument.objects.select_related("policy").filter(pk=document_id).first()
    if document is None:
        return PolicyVerification(state=VerifyState.UNKNOWN)
    if document.policy.status == PolicyStatus.CANCELLED:
        state = VerifyState.INVALID
    elif document.replaced_at is not None or document.policy.status != PolicyStatus.ACTIVE:
        state = VerifyState.REPLACED
    else:
        state = VerifyState.VALID
    content = document.content
    return PolicyVerification(
        state=state,
        holder_masked=name_mask(
            last_name=content.get("last_name", ""),
            first_name=content.get("first_name", ""),
            patronymic=content.get("patronymic", ""),
        ),
        birth_year=(content.get("birth_date") or "")[:4],
    )


def rejection_reasons_by_subject(*, request: PolicyRequest | None) -> dict[str, list[str]]:
    """The reviewer's reasons for rejecting `request`, grouped by what each is about (a form field
    such as «current_policy_number», «personal_data», «new_insurance_company», a document slot, or
    «other»), for showing beside the fields and documents of its resubmission.

    The reasons are the review's DecisionReason rows on the rejecting StatusChange (relation
    «reasons»); without them (no such rows, or the review models absent) the mapping is empty and
    the page shows the rejection text as a whole.
    """
    if request is None or request.status != RequestStatus.REJECTED:
        return {}
    change = (
        StatusChange.objects.filter(request=request, new_status=RequestStatus.REJECTED).order_by("-at", "-pk").first()
    )
    if change is None or not hasattr(change, "reasons"):
        return {}
    grouped: dict[str, list[str]] = {}
    for reason in change.reasons.all():
        grouped.setdefault(reason.subject, []).append(reason.text)
    return grouped
