"""The rules of documents.services: when a slot may change, limits, replace, delete, copy, retention."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import CitizenFactory
from documents import services
from documents.constants import DocumentStatus
from documents.models import Document
from documents.tests.conftest import sample_file, stored_files
from oms_policy.constants import RequestStatus
from oms_policy.models import StatusChange
from oms_policy.tests.factories import PolicyRequestFactory


def _upload(request, user, name="good-passport.jpg", slot="passport_photo"):
    return services.document_upload(request=request, slot=slot, uploaded_file=sample_file(name), user=user)


def _refusal(callable_, **kwargs) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        callable_(**kwargs)
    return caught.value.code, caught.value.messages[0]


def test_upload_schedules_the_scan_check_after_commit(citizen, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = _upload(draft, citizen)
    assert len(callbacks) == 1
    assert document.status == DocumentStatus.CHECKING and document.checked_at is None


@pytest.mark.parametrize(
    "status", [RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.APPROVED, RequestStatus.REJECTED]
)
def test_a_sent_or_decided_request_takes_no_files(citizen, status, settings):
    request = PolicyRequestFactory(applicant=citizen, status=status)
    assert _refusal(_upload, request=request, user=citizen) == (
        "request_closed",
        "Заявка уже отправлена: документы в ней менять нельзя, пока проверяющий не попросит.",
    )
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_only_the_applicant_uploads(other_citizen, draft):
    assert _refusal(_upload, request=draft, user=other_citizen) == ("not_owner", "Это не ваша заявка.")


def test_a_slot_the_request_does_not_need_is_refused(citizen, draft):
    assert _refusal(_upload, request=draft, user=citizen, slot="nonsense") == (
        "slot_closed",
        "Этот документ в заявке не нужен.",
    )


def test_documents_requested_only_the_slots_asked_for_and_marked_new(citizen):
    request = PolicyRequestFactory(
        applicant=citizen, status=RequestStatus.DOCUMENTS_REQUESTED, requested_slots=["passport_registration"]
    )
    document = _upload(request, citizen, "good-registration.png", slot="passport_registration")
    assert document.is_new_for_review is True
    assert _refusal(_upload, request=request, user=citizen)[0] == "slot_closed"


def test_files_per_slot_and_bytes_per_request_are_limited(citizen, draft, settings):
    settings.DOCUMENT_MAX_FILES_PER_SLOT = 2
    _upload(draft, citizen)
    _upload(draft, citizen)
    assert _refusal(_upload, request=draft, user=citizen) == (
        "too_many_files",
        "К этому документу можно приложить не больше 2 файлов. Удалите лишний файл.",
    )
    settings.DOCUMENT_REQUEST_MAX_BYTES = sum(Document.objects.values_list("size", flat=True)) + 1000
    assert _refusal(_upload, request=draft, user=citizen, slot="passport_registration")[0] == "request_too_large"
    assert Document.objects.count() == 2


def test_delete_removes_the_row_and_its_files(citizen, draft, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = _upload(draft, citizen)
    assert stored_files(settings)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=document, user=citizen)
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_files_the_reviewer_has_seen_stay(citizen):
    request = PolicyRequestFactory(
        applicant=citizen, status=RequestStatus.DOCUMENTS_REQUESTED, requested_slots=["passport_photo"]
    )
    seen = Document.objects.create(
        request=request,
        slot="passport_photo",
        uploaded_by=citizen,
        file="documents/x",
        original_name="a.jpg",
        content_type="image/jpeg",
        size=1,
        status=DocumentStatus.PASSED,
    )
    assert _refusal(services.document_delete, document=seen, user=citizen)[0] == "seen_by_reviewer"
    new = _upload(request, citizen)
    services.document_delete(document=new, user=citizen)
    assert list(Document.objects.all()) == [seen]


def test_replacing_a_failed_scan_keeps_the_other_files(upload, citizen_client, draft):
    upload(
        sample_file("good-passport.jpg", as_name="страница 1.jpg"), sample_file("blurred.jpg", as_name="страница 2.jpg")
    )
    good, blurred = Document.objects.order_by("pk")
    assert (good.status, blurred.status) == (DocumentStatus.PASSED, DocumentStatus.FAILED)

    response = upload(sample_file("good-registration.png", as_name="страница 2 заново.png"), replaces=str(blurred.uuid))

    assert response.json()["results"][0]["ok"] is True
    assert not Document.objects.filter(pk=blurred.pk).exists()
    good_after = Document.objects.get(pk=good.pk)
    assert (good_after.file.name, good_after.status) == (good.file.name, DocumentStatus.PASSED)
    assert list(Document.objects.order_by("pk").values_list("original_name", "status")) == [
        ("страница 1.jpg", "passed"),
        ("страница 2 заново.png", "passed"),
    ]


def test_a_refused_replacement_keeps_the_old_file(upload, draft):
    upload(sample_file("blurred.jpg"))
    blurred = Document.objects.get()
    response = upload(sample_file("hostile-program.png"), replaces=str(blurred.uuid))
    assert response.json()["results"][0]["ok"] is False
    assert list(Document.objects.all()) == [blurred]


def test_upload_without_javascript_redirects_back_with_a_message(
    citizen_client, draft, django_capture_on_commit_callbacks
):
    next_url = reverse("documents:request-documents", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = citizen_client.post(
            reverse("documents:upload", args=[draft.pk, "passport_photo"]),
            {"file": sample_file("good-passport.jpg", as_name="скан.jpg"), "next": next_url},
            follow=True,
        )
    assert response.redirect_chain == [(next_url, 302)]
    assert [str(m) for m in response.context["messages"]] == ["Файл «скан.jpg» загружен, идёт проверка скана."]
    assert Document.objects.get().status == DocumentStatus.PASSED


def test_next_pointing_elsewhere_is_ignored(citizen_client, draft):
    response = citizen_client.post(
        reverse("documents:upload", args=[draft.pk, "passport_photo"]),
        {"file": sample_file("good-passport.jpg"), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("oms_policy:request-detail", args=[draft.pk])


def test_copy_to_a_new_draft_takes_the_passed_scans_only(
    upload, citizen, draft, settings, django_capture_on_commit_callbacks
):
    upload(sample_file("good-passport.jpg"), sample_file("blurred.jpg"))
    upload(sample_file("good-registration.png"), slot="passport_registration")
    new_draft = PolicyRequestFactory(applicant=citizen, resubmission_of=draft)

    with django_capture_on_commit_callbacks(execute=True):
        copied = services.documents_copy(source_request=draft, target_request=new_draft, user=citizen)

    assert copied == 2
    copies = list(Document.objects.filter(request=new_draft).order_by("pk"))
    sources = list(Document.objects.filter(request=draft, status=DocumentStatus.PASSED).order_by("pk"))
    assert [(c.slot, c.status, c.verdict_code, c.original_name) for c in copies] == [
        (s.slot, s.status, s.verdict_code, s.original_name) for s in sources
    ]
    for copy, source in zip(copies, sources, strict=True):
        assert copy.uuid != source.uuid and copy.file.name != source.file.name
        with copy.file.open("rb") as a, source.file.open("rb") as b:
            assert a.read() == b.read()
        assert copy.preview
    with pytest.raises(ValidationError):
        services.documents_copy(source_request=draft, target_request=new_draft, user=CitizenFactory())


def _decide(request, *, days_ago: int, status=RequestStatus.REJECTED):
    request.status = status
    request.save(update_fields=["status"])
    StatusChange.objects.create(
        request=request,
        old_status=RequestStatus.IN_REVIEW,
        new_status=status,
        actor_role="reviewer",
        at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def test_retention_deletes_files_of_long_decided_requests_and_keeps_the_record(upload, citizen, draft, settings):
    settings.DOCUMENT_RETENTION_DAYS = 90
    upload(sample_file("good-passport.jpg"))
    recent = PolicyRequestFactory(applicant=citizen)
    upload(sample_file("good-registration.png"), policy_request=recent)
    _decide(draft, days_ago=91)
    _decide(recent, days_ago=89)
    old_document = Document.objects.get(request=draft)
    kept_files = {Document.objects.get(request=recent).file.name}

    assert services.documents_retention_purge() == 1
    assert services.documents_retention_purge() == 0  # safe to run twice

    old_document.refresh_from_db()
    assert old_document.file.name == "" and old_document.preview.name == ""
    assert old_document.file_deleted_at is not None
    assert (old_document.original_name, old_document.slot, old_document.verdict_code) == (
        "good-passport.jpg",
        "passport_photo",
        "readable",
    )
    root = stored_files(settings)
    assert {f"documents/{p.parent.name}/{p.name}" for p in root if p.parent.parent.name == "documents"} == kept_files


def test_retention_and_resume_tasks_are_in_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "documents.tasks.documents_retention_purge_task",
        "documents.tasks.documents_scan_check_resume_task",
    } <= tasks


def test_display_names():
    assert services.document_display_name("C:\\Users\\a\\скан.jpg") == "скан.jpg"
    assert services.document_display_name("...") == "файл"
    assert services.document_display_name("a" * 300 + ".jpg") == "a" * 251 + ".jpg"
