"""Who may see a scan: the owner and staff whose role allows it; everyone else gets 404.
Staff views are written to the audit log; downloads carry the headers of a private file."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.constants import AuditEventKind
from accounts.models import AuditEvent
from accounts.tests.admin_helpers import verified_staff_client
from documents.models import Document
from documents.tests.conftest import sample_file


@pytest.fixture
def document(upload):
    upload(sample_file("good-passport.jpg", as_name="Паспорт Ивановой.jpg"))
    return Document.objects.get()


def _client_for(persona: str, request) -> Client:
    if persona == "anonymous":
        return Client()
    user = request.getfixturevalue(persona)
    if persona in {"reviewer", "support", "verifier", "admin"}:
        return verified_staff_client(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("view", ["documents:download", "documents:preview"])
@pytest.mark.parametrize(
    ("persona", "expected", "audited"),
    [
        ("citizen", 200, False),
        ("other_citizen", 404, False),
        ("anonymous", 404, False),
        ("support", 404, False),
        ("verifier", 404, False),
        ("reviewer", 200, True),
        ("admin", 200, True),
    ],
)
def test_who_may_see_a_scan(request, document, view, persona, expected, audited):
    response = _client_for(persona, request).get(reverse(view, args=[document.uuid]))

    assert response.status_code == expected
    events = list(AuditEvent.objects.filter(kind=AuditEventKind.DOCUMENT_VIEWED))
    if audited:
        user = request.getfixturevalue(persona)
        assert [(e.actor, e.subject, e.details) for e in events] == [
            (
                user,
                document.request.applicant,
                {
                    "document": str(document.uuid),
                    "request_id": document.request_id,
                    "slot": "passport_photo",
                    "what": "file" if view == "documents:download" else "preview",
                },
            )
        ]
    else:
        assert events == []


def test_a_reviewer_without_the_admin_second_factor_gets_404(document, reviewer):
    client = Client()
    client.force_login(reviewer)  # logged in, but the session never passed the TOTP step
    assert client.get(reverse("documents:download", args=[document.uuid])).status_code == 404
    assert AuditEvent.objects.filter(kind=AuditEventKind.DOCUMENT_VIEWED).count() == 0


def test_an_unknown_document_is_404(citizen_client):
    url = reverse("documents:download", args=["00000000-0000-4000-8000-000000000000"])
    assert citizen_client.get(url).status_code == 404


def test_the_download_headers(citizen_client, document):
    response = citizen_client.get(reverse("documents:download", args=[document.uuid]))

    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D0%9F%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82%20"
        "%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%BE%D0%B9.jpg"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    with document.file.open("rb") as handle:
        assert b"".join(response.streaming_content) == handle.read()


def test_a_range_request_gets_the_bytes_asked_for(citizen_client, document):
    response = citizen_client.get(reverse("documents:download", args=[document.uuid]), headers={"range": "bytes=0-9"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-9/{document.size}"
    with document.file.open("rb") as handle:
        assert b"".join(response.streaming_content) == handle.read(10)


def test_with_x_accel_the_web_server_sends_the_bytes(citizen_client, document, settings):
    settings.DOCUMENT_X_ACCEL_PREFIX = "/protected-documents/"
    response = citizen_client.get(reverse("documents:download", args=[document.uuid]))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-documents/{document.file.name}"
    assert response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; ")


def test_a_deleted_file_is_404_but_its_record_stays(citizen_client, document):
    Document.objects.filter(pk=document.pk).update(file="", file_deleted_at="2026-01-01T00:00:00Z")
    assert citizen_client.get(reverse("documents:download", args=[document.uuid])).status_code == 404
    assert Document.objects.filter(pk=document.pk).exists()


@pytest.mark.parametrize("persona", ["other_citizen", "anonymous", "reviewer"])
def test_others_cannot_poll_upload_or_delete(request, document, draft, persona, settings):
    client = _client_for(persona, request)
    assert client.get(reverse("documents:status", args=[draft.pk])).status_code == 404
    assert client.get(reverse("documents:request-documents", args=[draft.pk])).status_code in {302, 404}
    response = client.post(
        reverse("documents:upload", args=[draft.pk, "passport_photo"]),
        {"file": sample_file("good-passport.jpg")},
    )
    assert response.status_code in {302, 404}
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(reverse("documents:delete", args=[document.uuid])).status_code == 404
    assert list(Document.objects.values_list("pk", flat=True)) == [document.pk]


def test_the_owner_polls_the_slot_states(citizen_client, draft, document):
    body = citizen_client.get(reverse("documents:status", args=[draft.pk])).json()

    assert body["request"] == draft.pk
    assert [(s["slot"], s["state"], s["blocks_submission"]) for s in body["slots"]] == [
        ("passport_photo", "ready", False),
        ("passport_registration", "empty", True),
        ("current_policy", "empty", True),
        ("reason_document", "empty", False),
    ]
    assert body["slots"][0]["documents"] == [
        {"uuid": str(document.uuid), "status": "passed", "verdict_code": "readable", "verdict": "Скан читается"}
    ]


def test_the_slot_include_shows_limits_examples_and_the_file(citizen_client, draft, document):
    html = citizen_client.get(reverse("documents:request-documents", args=[draft.pk])).content.decode()

    assert "Формат: фотография или скан в JPEG, PNG или PDF." in html
    assert "Размер файла — до 10,0\xa0МБ; в PDF — до 10 страниц." in html
    assert "img/documents/scan-good.jpg" in html and "img/documents/scan-bad.jpg" in html
    assert "Паспорт Ивановой.jpg" in html
    assert reverse("documents:download", args=[document.uuid]) in html
    assert reverse("documents:preview", args=[document.uuid]) in html
    assert 'name="file"' in html and 'enctype="multipart/form-data"' in html


def test_polling_costs_the_same_few_queries_however_many_files(
    upload, citizen_client, draft, django_assert_max_num_queries
):
    upload(sample_file("good-passport.jpg"), sample_file("blurred.jpg"), sample_file("good-registration.png"))
    upload(sample_file("good-registration.png"), slot="passport_registration")
    # session, user, the request, the documents (one query for every slot), the session saved
    # (a savepoint around it): the same whatever the number of slots and files.
    with django_assert_max_num_queries(7):
        body = citizen_client.get(reverse("documents:status", args=[draft.pk])).json()
    assert [len(s["documents"]) for s in body["slots"]] == [3, 1, 0, 0]
