"""Reads from the policy catalogue."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from oms_policy.constants import PolicyStatus
from oms_policy.models import InsuranceCompany, Policy, PolicyRequest, Region, StatusChange


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
