"""Reads from the policy catalogue."""

from __future__ import annotations

from django.db.models import QuerySet

from oms_policy.constants import PolicyStatus
from oms_policy.models import InsuranceCompany, Policy, Region


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
