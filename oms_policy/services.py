"""Writes to the policy catalogue: reference data (regions, СМО)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from oms_policy import reference_data
from oms_policy.models import InsuranceCompany, Region


@dataclass(frozen=True)
class ReferenceDataResult:
    regions_created: int
    regions_updated: int
    companies_created: int
    companies_updated: int


@transaction.atomic
def reference_data_ensure() -> ReferenceDataResult:
    """Bring regions and СМО up to `oms_policy.reference_data`, keyed by code; safe to run any time.

    Before: nothing (an empty or a partly filled database). After: every region and company in the
    lists exists with the listed name and region, and listed companies are active. Rows that are
    not in the lists are left alone (an operator may have added them). Schedules no tasks.
    Migration 0002_reference_data does the same with its own frozen copy of the lists.
    """
    regions_created = regions_updated = companies_created = companies_updated = 0
    regions_by_code: dict[str, Region] = {}
    for code, name in reference_data.REGIONS:
        region, created = Region.objects.update_or_create(code=code, defaults={"name": name})
        regions_by_code[code] = region
        regions_created += created
        regions_updated += not created
    for federal_code, name, region_code in reference_data.INSURANCE_COMPANIES:
        _company, created = InsuranceCompany.objects.update_or_create(
            federal_code=federal_code,
            defaults={"name": name, "region": regions_by_code[region_code], "is_active": True},
        )
        companies_created += created
        companies_updated += not created
    return ReferenceDataResult(
        regions_created=regions_created,
        regions_updated=regions_updated,
        companies_created=companies_created,
        companies_updated=companies_updated,
    )
