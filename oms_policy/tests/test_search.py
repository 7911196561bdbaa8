"""The «Мои услуги» search: PostgreSQL full-text + trigram, and the Python fallback for SQLite."""

from __future__ import annotations

import pytest

from oms_policy.models import Service
from oms_policy.selectors import search_words, service_search, service_search_python

QUERIES_FOR_POLICY_UPDATE = [
    "полис",
    "омс",
    "ОМС полис",
    "обновить полис",
    "полюс омс",
    "ПОЛИС",
    "Обновление полиса ОМС",
    "обновлениё полиса",
]


@pytest.mark.parametrize("query", QUERIES_FOR_POLICY_UPDATE)
def test_postgres_search_finds_the_policy_update(postgres, query):
    # The migration's catalogue is in the database.
    titles = [service.title for service in service_search(query=query)]
    assert "Обновление полиса ОМС" in titles
    assert titles[0] == "Обновление полиса ОМС" or query in ("омс", "ОМС полис", "ПОЛИС", "полис")


@pytest.mark.parametrize("query", QUERIES_FOR_POLICY_UPDATE)
def test_python_search_finds_the_policy_update(db, query):
    services = list(Service.objects.filter(is_active=True))
    titles = [service.title for service in service_search_python(services=services, words=search_words(query))]
    assert "Обновление полиса ОМС" in titles


@pytest.mark.parametrize("search", ["postgres", "python"])
def test_unrelated_words_find_nothing(postgres, search):
    services = list(Service.objects.filter(is_active=True))
    for query in ("паспорт гражданина рф", "загранпаспорт", "штраф гибдд"):
        if search == "postgres":
            found = service_search(query=query)
        else:
            found = service_search_python(services=services, words=search_words(query))
        assert found == [], query


def test_empty_query_lists_the_active_catalogue_in_order(db):
    Service.objects.filter(slug="data-correction").update(is_active=False)
    assert [service.slug for service in service_search(query="  ")] == ["policy-update", "smo-change"]


def test_hidden_services_are_not_found(postgres):
    Service.objects.filter(slug="policy-update").update(is_active=False)
    assert "Обновление полиса ОМС" not in [service.title for service in service_search(query="обновить полис")]


def test_yo_and_e_are_the_same_letter(db):
    Service.objects.create(slug="test-yo", title="Учёт застрахованных", summary="—", keywords="")
    assert [s.slug for s in service_search(query="учет застрахованных")] == ["test-yo"]
    services = list(Service.objects.filter(slug="test-yo"))
    assert service_search_python(services=services, words=search_words("УЧЕТ")) == services


def test_the_search_page_shows_the_found_service(client, citizen):
    client.force_login(citizen)
    response = client.get("/requests/services/", {"q": "полюс омс"})
    assert response.status_code == 200
    assert "Обновление полиса ОМС" in response.content.decode()
