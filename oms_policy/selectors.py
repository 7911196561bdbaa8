"""Reads from the policy catalogue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from oms_policy.constants import PolicyStatus, VerifyState
from oms_policy.models import InsuranceCompany, Policy, PolicyDocument, PolicyRequest, Region, StatusChange


def region_list() -> QuerySet[Region]:
    """All subjects of the Federation, by name (the order a citizen looks for them in)."""
    return Region.objects.order_by("name")


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
        PolicyRequest.objects.select_related("new_insurance_company", "region"), pk=request_id, applicant=applicant
    )


def policy_request_list_for_applicant(*, applicant) -> QuerySet[PolicyRequest]:
    return PolicyRequest.objects.filter(applicant=applicant).order_by("-created_at")


def status_change_list(*, request: PolicyRequest) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(request=request).order_by("at", "pk")


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
