"""Reference data: every subject of the Federation and the demo СМО, loaded by migration 0002."""

from __future__ import annotations

import re

import pytest

from oms_policy.models import InsuranceCompany, Region
from oms_policy.reference_data import AUTONOMOUS_OKRUG_OKATO, INSURANCE_COMPANIES, REGIONS
from oms_policy.services import ReferenceDataResult, reference_data_ensure


def test_the_list_holds_all_89_subjects_with_unique_two_digit_codes():
    codes = [code for code, _name in REGIONS]
    names = [name for _code, name in REGIONS]
    assert len(REGIONS) == 89
    assert len(set(codes)) == 89
    assert len(set(names)) == 89
    assert all(re.fullmatch(r"\d{2}", code) for code in codes)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("45", "г. Москва"),
        ("40", "г. Санкт-Петербург"),
        ("46", "Московская область"),
        ("18", "Волгоградская область"),
        ("41", "Ленинградская область"),
        ("35", "Республика Крым"),
        ("67", "г. Севастополь"),
        ("21", "Донецкая Народная Республика"),
        ("43", "Луганская Народная Республика"),
        ("23", "Запорожская область"),
        ("74", "Херсонская область"),
        ("92", "Республика Татарстан"),
        ("71", "Тюменская область"),
        ("77", "Чукотский автономный округ"),
        ("99", "Еврейская автономная область"),
    ],
)
def test_okato_codes_of_known_subjects(code, name):
    assert dict(REGIONS)[code] == name


def test_autonomous_okrugs_inside_oblasts_keep_their_real_okato_prefix():
    names = dict(REGIONS)
    assert {names[code]: okato for code, okato in AUTONOMOUS_OKRUG_OKATO.items()} == {
        "Ненецкий автономный округ": "11100",
        "Ханты-Мансийский автономный округ — Югра": "71100",
        "Ямало-Ненецкий автономный округ": "71140",
    }


def test_every_company_code_is_its_region_code_and_three_digits():
    region_codes = {code for code, _name in REGIONS}
    federal_codes = [federal_code for federal_code, _name, _region in INSURANCE_COMPANIES]
    assert len(set(federal_codes)) == len(federal_codes)
    for federal_code, _name, region_code in INSURANCE_COMPANIES:
        assert region_code in region_codes
        assert re.fullmatch(rf"{region_code}\d{{3}}", federal_code), federal_code


def test_every_company_from_the_facts_works_in_at_least_three_regions():
    regions_by_company: dict[str, set[str]] = {}
    for _federal_code, name, region_code in INSURANCE_COMPANIES:
        regions_by_company.setdefault(name, set()).add(region_code)
    assert set(regions_by_company) == {
        "СОГАЗ-Мед",
        "Капитал МС",
        "Ингосстрах-М",
        "АльфаСтрахование-ОМС",
        "РЕСО-Мед",
        "МАКС-М",
        "МСК «Максимус»",
        "МСО «Панацея»",
    }
    assert all(len(regions) >= 3 for regions in regions_by_company.values())
    covered = set().union(*regions_by_company.values())
    assert {"45", "46", "40", "18"} <= covered


@pytest.mark.django_db
def test_the_migration_loaded_the_lists_into_the_database():
    assert sorted(Region.objects.values_list("code", "name")) == sorted(REGIONS)
    assert sorted(InsuranceCompany.objects.values_list("federal_code", "name", "region__code", "is_active")) == sorted(
        (federal_code, name, region_code, True) for federal_code, name, region_code in INSURANCE_COMPANIES
    )


@pytest.mark.django_db
def test_every_company_code_matches_its_region_in_the_database():
    for company in InsuranceCompany.objects.select_related("region"):
        assert company.federal_code[:2] == company.region.code


@pytest.mark.django_db
def test_ensure_is_idempotent_and_repairs_edited_rows():
    Region.objects.filter(code="45").update(name="Москва (испорчено)")
    InsuranceCompany.objects.filter(federal_code="45001").update(name="Другая СМО", is_active=False)
    InsuranceCompany.objects.filter(federal_code="40006").delete()

    first = reference_data_ensure()
    second = reference_data_ensure()

    assert first == ReferenceDataResult(
        regions_created=0, regions_updated=89, companies_created=1, companies_updated=len(INSURANCE_COMPANIES) - 1
    )
    assert second == ReferenceDataResult(
        regions_created=0, regions_updated=89, companies_created=0, companies_updated=len(INSURANCE_COMPANIES)
    )
    assert Region.objects.get(code="45").name == "г. Москва"
    moscow_sogaz = InsuranceCompany.objects.get(federal_code="45001")
    assert (moscow_sogaz.name, moscow_sogaz.is_active) == ("СОГАЗ-Мед", True)
    assert InsuranceCompany.objects.get(federal_code="40006").name == "МАКС-М"
    assert Region.objects.count() == 89
    assert InsuranceCompany.objects.count() == len(INSURANCE_COMPANIES)


@pytest.mark.django_db
def test_ensure_leaves_rows_that_are_not_in_the_lists_alone():
    extra = InsuranceCompany.objects.create(
        federal_code="45901", name="Новая СМО", region=Region.objects.get(code="45")
    )
    reference_data_ensure()
    extra.refresh_from_db()
    assert (extra.name, extra.is_active) == ("Новая СМО", True)
