"""«Мой полис», the owner-only PDF, the public verification page, and the installable-app files."""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from oms_policy.constants import PolicyStatus, RequestStatus
from oms_policy.policy_services import policy_issue
from oms_policy.tests.factories import PolicyRequestFactory


def _staff(role, request):
    return request.getfixturevalue(role)


def test_my_policy_shows_the_current_policy_qr_and_earlier_versions(client, citizen, issued_document):
    second_request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.APPROVED, decided_at=timezone.now())
    second = policy_issue(request_id=second_request.pk)
    client.force_login(citizen)
    response = client.get(reverse("policy:my-policy"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="policy-enp" aria-labelledby="policy-enp-label">8451 9991 2289 9990</p>' in html
    assert 'src="data:image/png;base64,' in html
    assert f'href="{reverse("policy:document-pdf", args=[second.pk])}" download>Скачать PDF</a>' in html
    assert "data-print>Распечатать</button>" in html
    assert "17.05.1985" in html  # the second request's date of birth
    assert f"Версия 1 от {issued_document.issued_at:%d.%m.%Y} — заменена" in html
    assert response.context["document"] == second
    assert response.context["earlier"] == [issued_document]


def test_my_policy_without_a_document_says_it_will_come(client, other_citizen):
    client.force_login(other_citizen)
    response = client.get(reverse("policy:my-policy"))
    assert response.status_code == 200
    assert "Электронного полиса пока нет." in response.content.decode()
    assert response.context["document"] is None


def test_my_policy_needs_login(client):
    response = client.get(reverse("policy:my-policy"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_owner_downloads_the_pdf(client, citizen, issued_document):
    client.force_login(citizen)
    response = client.get(reverse("policy:document-pdf", args=[issued_document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="polis-oms-8451999122899990-v1.pdf"'
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    assert hashlib.sha256(body).hexdigest() == issued_document.sha256


@pytest.mark.parametrize("persona", ["other_citizen", "reviewer", "support", "verifier", "admin"])
def test_nobody_else_gets_the_pdf(client, request, persona, issued_document):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("policy:document-pdf", args=[issued_document.pk]))
    assert response.status_code == 404


def test_anonymous_download_goes_to_login(client, issued_document):
    response = client.get(reverse("policy:document-pdf", args=[issued_document.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_verify_a_valid_document_shows_only_the_masked_name_and_year(client, issued_document):
    response = client.get(reverse("policy:verify", args=[issued_document.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="verify-state verify-valid">Полис действует</p>' in html
    assert "<dd>Иванова А. С.</dd>" in html
    assert "<dd>1988</dd>" in html
    for secret in ("Анна", "Сергеевна", "8451", "14.07", "СОГАЗ"):
        assert secret not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_verify_a_replaced_document(client, citizen, issued_document):
    second_request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.APPROVED, decided_at=timezone.now())
    policy_issue(request_id=second_request.pk)
    response = client.get(reverse("policy:verify", args=[issued_document.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="verify-state verify-replaced">Документ заменён</p>' in html
    assert "<dd>Иванова А. С.</dd>" in html


def test_verify_a_cancelled_policy(client, issued_document):
    issued_document.policy.status = PolicyStatus.CANCELLED
    issued_document.policy.save(update_fields=["status"])
    html = client.get(reverse("policy:verify", args=[issued_document.pk])).content.decode()
    assert '<p class="verify-state verify-replaced">Полис недействителен</p>' in html


@pytest.mark.parametrize("token", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_verify_an_unknown_document(client, token, db):
    response = client.get(reverse("policy:verify", args=[token]))
    assert response.status_code == 404
    html = response.content.decode()
    assert '<p class="verify-state verify-unknown">Документ не найден</p>' in html
    assert "Застрахованный" not in html


def test_verify_is_rate_limited_per_address(client, settings, issued_document):
    settings.POLICY_VERIFY_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert client.get(reverse("policy:verify", args=[uuid.uuid4()])).status_code == 404
    response = client.get(reverse("policy:verify", args=[issued_document.pk]))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Иванова" not in response.content.decode()
    # Another address is not affected.
    other = client.get(reverse("policy:verify", args=[issued_document.pk]), REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


def test_the_cabinet_links_to_my_policy(client, citizen):
    client.force_login(citizen)
    html = client.get(reverse("cabinet")).content.decode()
    assert f'<li><a href="{reverse("policy:my-policy")}">Мой полис</a></li>' in html


def test_the_manifest_and_the_service_worker_are_served_from_the_root(client, db):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert (data["start_url"], data["scope"], data["display"]) == ("/policy/", "/", "standalone")
    assert sorted(icon["sizes"] for icon in data["icons"]) == ["192x192", "512x512"]
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"] == "text/javascript; charset=utf-8"
    assert worker["Service-Worker-Allowed"] == "/"
    body = worker.content.decode()
    assert 'const CACHE = "oms-policy-v1";' in body
    assert 'const OFFLINE_PAGES = ["/policy/"];' in body
    page = client.get(reverse("home")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_fetching_the_service_worker_does_not_keep_a_session_alive(client, citizen, settings):
    from django.contrib.sessions.models import Session

    client.force_login(citizen)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + datetime.timedelta(seconds=60))
    before = Session.objects.get(pk=key).expire_date
    assert client.get("/sw.js").status_code == 200
    assert client.get("/manifest.webmanifest").status_code == 200
    assert Session.objects.get(pk=key).expire_date == before
    # A real page does count as activity.
    client.get(reverse("policy:my-policy"))
    assert Session.objects.get(pk=key).expire_date > before


def test_the_qr_code_is_drawn_once_and_a_cache_outage_only_costs_the_drawing(
    client, citizen, issued_document, monkeypatch
):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from oms_policy import policy_pdf

    drawn = []
    real_qr_png = policy_pdf.qr_png
    monkeypatch.setattr(policy_pdf, "qr_png", lambda data, **kw: drawn.append(data) or real_qr_png(data, **kw))
    client.force_login(citizen)
    pages = [client.get(reverse("policy:my-policy")).content.decode() for _ in range(3)]
    assert len(drawn) <= 1  # at most once (the PDF's issue may already have drawn and kept it)
    qr = pages[0][pages[0].index('src="data:image/png;base64,') :].split('"')[1]
    assert all(qr in page for page in pages)

    def down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(policy_pdf.cache, "get", down)
    monkeypatch.setattr(policy_pdf.cache, "set", down)
    response = client.get(reverse("policy:my-policy"))
    assert response.status_code == 200
    assert qr in response.content.decode()
    assert len(drawn) >= 1
