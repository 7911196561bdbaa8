"""The benchmark harness's own pieces that the portal sees: the floor switch and the bench session."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches

from bench.dataset import requests_create, session_create
from bench.wrk import wrk_parse


@pytest.fixture
def floor_urls(settings):
    """portal.urls built again with BENCH_FLOOR_ENABLED as the test sets it; rebuilt as it was after."""
    import portal.urls

    def build(enabled: bool) -> None:
        settings.BENCH_FLOOR_ENABLED = enabled
        importlib.reload(portal.urls)
        clear_url_caches()

    yield build
    settings.BENCH_FLOOR_ENABLED = False
    importlib.reload(portal.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_floor_pages_are_not_routed_by_default(client, citizen):
    client.force_login(citizen)
    assert client.get("/bench/bare/").status_code == 404
    assert client.get("/bench/floor/").status_code == 404


@pytest.mark.django_db
def test_floor_pages_when_enabled(floor_urls, client, citizen):
    floor_urls(True)
    bare = client.get("/bench/bare/")
    assert (bare.status_code, bare.content) == (200, b"ok")
    assert client.get("/bench/floor/").status_code == 302  # logged-in page: anonymous goes to login
    client.force_login(citizen)
    floor = client.get("/bench/floor/")
    assert floor.status_code == 200
    assert 4900 <= len(floor.content) <= 5600  # the 5 KB template


@pytest.mark.django_db
def test_bench_session_logs_the_citizen_in_without_the_second_factor(citizen, settings):
    request_id = requests_create(user=citizen, count=20, detailed=True)
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session_create(user=citizen)
    cabinet = browser.get("/cabinet/")
    assert cabinet.status_code == 200
    assert cabinet.context["user"] == citizen
    detail = browser.get(f"/requests/{request_id}/")
    assert detail.status_code == 200
    assert len(detail.context["changes"]) == 10
    assert citizen.policy_requests.count() == 20
    assert detail.context["policy_request"].documents.count() == 6


def test_wrk_output_parsed():
    output = """Running 10s test @ http://127.0.0.1:8000/cabinet/
  2 threads and 16 connections
  Latency Distribution
     50%   11.50ms
     75%   14.02ms
     90%   17.00ms
     99%    1.20s{trailing}
  5123 requests in 10.01s, 40.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:    511.80
Transfer/sec:      4.00MB
NON200 7
""".format(trailing=" ")  # wrk pads seconds with a space
    result = wrk_parse(output)
    assert (result.requests_per_second, result.p50_ms, result.p99_ms) == (511.80, 11.5, 1200.0)
    assert (result.requests, result.non_200, result.socket_errors) == (5123, 7, 3)
