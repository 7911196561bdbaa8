"""The reviewers' admin: the queue (order, filters, search, query counts), the request page, decisions
by POST with clear refusals, and each role allowed exactly its own actions."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.admin_helpers import verified_staff_client
from oms_policy.constants import DocumentSlot, RequestStatus
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.numbers import request_number_display
from oms_policy.review_models import InternalNote, RejectionReason
from oms_policy.review_services import (
    policy_request_approve,
    policy_request_claim,
    policy_request_documents_request,
)
from oms_policy.tests.review_helpers import png_bytes, scan_make, submitted_request

QUEUE = "admin:oms_policy_policyrequest_changelist"


def _url(name, *args):
    return reverse(f"admin:oms_policy_policyrequest_{name}", args=args)


def _messages(response):
    return [str(message) for message in response.wsgi_request._messages]


@pytest.fixture
def reviewer_client(reviewer):
    return verified_staff_client(reviewer)


def test_queue_opens_on_unclaimed_and_mine_oldest_first(reviewer, second_reviewer, reviewer_client):
    newest = submitted_request(days_ago=1)
    oldest = submitted_request(days_ago=9)
    mine = policy_request_claim(request_id=submitted_request(days_ago=5).pk, reviewer=reviewer)
    policy_request_claim(request_id=submitted_request(days_ago=7).pk, reviewer=second_reviewer)  # someone else's
    decided = policy_request_claim(request_id=submitted_request(days_ago=8).pk, reviewer=reviewer)
    policy_request_approve(request_id=decided.pk, reviewer=reviewer)
    submitted_request(status=RequestStatus.DRAFT, number=None, submitted_at=None)

    response = reviewer_client.get(reverse(QUEUE))
    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [oldest.pk, mine.pk, newest.pk]
    page = response.content.decode()
    assert request_number_display(oldest.number) in page
    assert "просрочена" in page  # 9 days is past 5 working days

    waiting = policy_request_claim(request_id=submitted_request(days_ago=6).pk, reviewer=reviewer)
    policy_request_documents_request(
        request_id=waiting.pk,
        reviewer=reviewer,
        slots=["passport_photo"],
        note="Пересните",
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    work = reviewer_client.get(reverse(QUEUE))
    assert [row.pk for row in work.context["cl"].result_list] == [oldest.pk, mine.pk, newest.pk]
    mine_only = reviewer_client.get(reverse(QUEUE), {"queue": "mine"})
    assert [row.pk for row in mine_only.context["cl"].result_list] == [waiting.pk, mine.pk]
    approved = reviewer_client.get(reverse(QUEUE), {"status__exact": RequestStatus.APPROVED})
    assert [row.pk for row in approved.context["cl"].result_list] == [decided.pk]


def test_queue_overdue_filter(reviewer_client):
    late = submitted_request(days_ago=12)
    submitted_request(days_ago=0)
    response = reviewer_client.get(reverse(QUEUE), {"overdue": "yes"})
    assert [row.pk for row in response.context["cl"].result_list] == [late.pk]


def test_queue_query_count_does_not_grow_with_rows(reviewer, reviewer_client, django_assert_max_num_queries):
    for days in range(3):
        submitted_request(days_ago=days)
    with django_assert_max_num_queries(14) as small:
        reviewer_client.get(reverse(QUEUE))
    for days in range(20):
        policy_request_claim(request_id=submitted_request(days_ago=days).pk, reviewer=reviewer)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = reviewer_client.get(reverse(QUEUE))
    assert response.context["cl"].result_count == 23
    assert 'id="queue-count">Заявок: 23</span>' in response.content.decode()
    assert response.context["cl"].show_full_result_count is False
    # No full count of the table: every COUNT is over a LIMITed subquery.
    counts = [
        query["sql"]
        for query in small.captured_queries
        if "COUNT(" in query["sql"].upper() and "oms_policy_policyrequest" in query["sql"]
    ]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


WRITTEN_FORMS = {
    "digits": lambda d: d,
    "spaces": lambda d: f"{d[0:3]} {d[3:6]} {d[6:9]} {d[9:]}",
    "dashes": lambda d: f"{d[0:3]}-{d[3:6]}-{d[6:9]}-{d[9:]}",
    "mixed": lambda d: f" {d[0:3]}- {d[3:6]} -{d[6:9]}{d[9:]} ",
}


@pytest.mark.parametrize("written", WRITTEN_FORMS)
def test_queue_search_by_number_in_any_form(reviewer_client, written):
    wanted = submitted_request()
    submitted_request()
    typed = WRITTEN_FORMS[written](wanted.number)
    response = reviewer_client.get(reverse(QUEUE), {"q": typed, "queue": "all"})
    assert [row.pk for row in response.context["cl"].result_list] == [wanted.pk]


def test_queue_search_by_enp_and_surname(reviewer_client):
    by_enp = submitted_request(current_policy_number="2847040848000286")
    by_name = submitted_request(last_name="Кузнецова")
    assert [
        r.pk for r in reviewer_client.get(reverse(QUEUE), {"q": "2847 0408 4800 0286"}).context["cl"].result_list
    ] == [by_enp.pk]
    assert [r.pk for r in reviewer_client.get(reverse(QUEUE), {"q": "кузнец"}).context["cl"].result_list] == [
        by_name.pk
    ]


def test_request_page_shows_scans_timeline_changes_and_earlier_requests(
    reviewer, reviewer_client, django_assert_max_num_queries
):
    earlier = submitted_request(status=RequestStatus.REJECTED, days_ago=40, last_name="Старова")
    request = submitted_request(applicant=earlier.applicant, resubmission_of=earlier, last_name="Новова")
    scan_make(request=request, slot=DocumentSlot.PASSPORT_PHOTO, verdict="", metrics={"sharpness": 812.5})
    scan_make(request=request, slot=DocumentSlot.PASSPORT_REGISTRATION, status="failed", verdict="Скан размыт")
    policy_request_claim(request_id=request.pk, reviewer=reviewer)
    with django_assert_max_num_queries(30):
        response = reviewer_client.get(_url("change", request.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "резкость 812,5" in page
    assert "Скан размыт" in page
    assert page.count("data-scan-image") == 2
    assert _url("scan", request.pk, request.documents.first().uuid) in page or "/documents/" in page
    assert "Что изменилось с прошлой подачи" in page and "Старова" in page and "Новова" in page
    assert f'href="{_url("change", earlier.pk)}"' in page
    assert "На проверке" in page  # the timeline
    assert 'id="review-approve-form"' in page and 'name="status"' not in page


def test_the_request_page_reads_as_words_not_stored_values(reviewer, reviewer_client):
    """Sex, the asked correction and the scan check's figures as a reviewer reads them, not «female»,
    JSON or «short_side: 900»."""
    request = submitted_request(
        sex="female", change_kind="correction", corrections={"last_name": {"old": "Смирнова", "new": "Петрова"}}
    )
    figures = {"width": 900, "height": 1280, "short_side": 900, "mean": 208.6, "spread": 28.2, "sharpness": 1097.2}
    scan_make(request=request, slot=DocumentSlot.PASSPORT_PHOTO, verdict="Скан читается", metrics=figures)
    scan_make(
        request=request,
        slot=DocumentSlot.PASSPORT_REGISTRATION,
        metrics={"pages": [{"page": 1, **figures, "verdict": "readable"}, {"page": 2, "measured": False}]},
    )
    page = reviewer_client.get(_url("change", request.pk)).content.decode()
    assert "Женский" in page and ">female<" not in page
    assert "Фамилия: было «Смирнова», станет «Петрова»" in page and "&quot;old&quot;" not in page
    shown = "900×1280 пикс., короткая сторона 900, яркость 208,6 из 255, контраст 28,2, резкость 1097,2"
    assert shown in page and "short_side" not in page
    assert f"стр. 1: {shown}; стр. 2: не измерена" in page
    # A passed scan's verdict is its status: said once, not «Скан читается: Скан читается».
    assert "Скан читается: Скан читается" not in page and "Скан читается" in page


def test_scan_is_served_to_reviewers_only(reviewer_client, support, administrator):
    request = submitted_request()
    document = scan_make(request=request, slot=DocumentSlot.PASSPORT_PHOTO)
    response = reviewer_client.get(_url("scan", request.pk, document.uuid))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    for person in (support, administrator):
        assert verified_staff_client(person).get(_url("scan", request.pk, document.uuid)).status_code == 403


def test_claim_then_decide_through_the_admin(reviewer, reviewer_client):
    request = submitted_request()
    response = reviewer_client.post(_url("claim", request.pk), {"expected_updated_at": request.updated_at.isoformat()})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.reviewer_id) == (RequestStatus.IN_REVIEW, reviewer.pk)

    reasons = list(RejectionReason.objects.filter(code__in=["passport-photo-unreadable", "smo-changed-this-year"]))
    response = reviewer_client.post(
        _url("reject", request.pk),
        {
            "expected_updated_at": request.updated_at.isoformat(),
            "reject-reasons": [r.pk for r in reasons],
            "reject-text": "",
        },
        follow=True,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.rejection_text == (
        "Скан страницы паспорта с фотографией нечитаем.\nСтраховую медицинскую организацию уже меняли в этом году."
    )
    assert f"Заявка {request_number_display(request.number)} отклонена." in _messages(response)


def test_stale_page_decision_gets_a_clear_message_and_changes_nothing(reviewer, reviewer_client):
    request = policy_request_claim(request_id=submitted_request().pk, reviewer=reviewer)
    stale = (request.updated_at - datetime.timedelta(seconds=1)).isoformat()
    response = reviewer_client.post(_url("approve", request.pk), {"expected_updated_at": stale}, follow=True)
    assert response.status_code == 200
    assert _messages(response) == [
        "Заявку уже изменили, пока страница была открыта. Обновите страницу и посмотрите её текущий статус."
    ]
    assert PolicyRequest.objects.get(pk=request.pk).status == RequestStatus.IN_REVIEW
    assert StatusChange.objects.filter(request=request).count() == 1


def test_already_decided_request_in_the_admin(reviewer, reviewer_client):
    request = policy_request_claim(request_id=submitted_request().pk, reviewer=reviewer)
    page = reviewer_client.get(_url("change", request.pk)).content.decode()
    shown = page.split('name="expected_updated_at" value="')[1].split('"')[0]
    policy_request_approve(request_id=request.pk, reviewer=reviewer)  # e.g. in another tab
    response = reviewer_client.post(
        _url("reject", request.pk), {"expected_updated_at": shown, "reject-text": "x"}, follow=True
    )
    assert _messages(response) == [
        "Заявку уже изменили, пока страница была открыта. Обновите страницу и посмотрите её текущий статус."
    ]
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert "Решение сейчас принять нельзя" in response.content.decode()


def test_request_documents_form_keeps_what_was_typed(reviewer, reviewer_client):
    request = policy_request_claim(request_id=submitted_request().pk, reviewer=reviewer)
    response = reviewer_client.post(
        _url("documents", request.pk),
        {
            "expected_updated_at": request.updated_at.isoformat(),
            "documents-note": "Нужен скан полиса",
            "documents-due_on": "",
        },
    )
    assert response.status_code == 200
    assert "Нужен скан полиса" in response.content.decode()
    assert PolicyRequest.objects.get(pk=request.pk).status == RequestStatus.IN_REVIEW
    due = timezone.localdate() + datetime.timedelta(days=14)
    response = reviewer_client.post(
        _url("documents", request.pk),
        {
            "expected_updated_at": request.updated_at.isoformat(),
            "documents-slots": ["current_policy"],
            "documents-note": "Нужен скан полиса",
            "documents-due_on": due.isoformat(),
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.requested_slots, request.documents_due_on) == (
        RequestStatus.DOCUMENTS_REQUESTED,
        ["current_policy"],
        due,
    )


def test_documents_deadline_defaults_to_the_setting(reviewer, reviewer_client, settings):
    settings.REVIEW_DOCUMENTS_DEADLINE_DAYS = 10
    request = policy_request_claim(request_id=submitted_request().pk, reviewer=reviewer)
    page = reviewer_client.get(_url("change", request.pk)).content.decode()
    assert f'value="{(timezone.localdate() + datetime.timedelta(days=10)).isoformat()}"' in page


def test_internal_note_is_saved_and_never_reaches_the_citizen(reviewer, reviewer_client):
    request = policy_request_claim(request_id=submitted_request().pk, reviewer=reviewer)
    reviewer_client.post(_url("note", request.pk), {"note-text": "Звонил в СМО, ждём ответ"})
    note = InternalNote.objects.get(request=request)
    assert (note.author, note.text) == (reviewer, "Звонил в СМО, ждём ответ")
    from django.test import Client

    citizen_client = Client()
    citizen_client.force_login(request.applicant)
    citizen_page = citizen_client.get(reverse("oms_policy:request-detail", args=[request.pk]))
    assert "Звонил в СМО" not in citizen_page.content.decode()


def test_status_is_not_editable_by_post(reviewer, reviewer_client):
    request = policy_request_claim(request_id=submitted_request().pk, reviewer=reviewer)
    response = reviewer_client.post(_url("change", request.pk), {"status": RequestStatus.APPROVED})
    assert response.status_code == 403
    assert PolicyRequest.objects.get(pk=request.pk).status == RequestStatus.IN_REVIEW


# --- roles: each role exactly its own actions ---------------------------------------------------


@pytest.mark.parametrize("action", ["claim", "approve", "reject", "documents", "release", "note"])
def test_support_and_administrators_cannot_decide(support, administrator, reviewer, action):
    request = submitted_request()
    if action != "claim":
        policy_request_claim(request_id=request.pk, reviewer=reviewer)
    request.refresh_from_db()
    before = (request.status, request.reviewer_id, request.updated_at)
    for person in (support, administrator):
        response = verified_staff_client(person).post(
            _url(action, request.pk),
            {"expected_updated_at": request.updated_at.isoformat(), "note-text": "x", "reject-text": "x"},
        )
        assert response.status_code == 403
    request.refresh_from_db()
    assert (request.status, request.reviewer_id, request.updated_at) == before
    assert not InternalNote.objects.exists()


def test_role_pages(reviewer, support, administrator, review_head):
    request = submitted_request()
    reviewer_client = verified_staff_client(reviewer)
    support_client = verified_staff_client(support)
    admin_client = verified_staff_client(administrator)
    head_client = verified_staff_client(review_head)
    # Reviewers: the queue and the request, not the dashboard nor reference data changes.
    assert reviewer_client.get(reverse(QUEUE)).status_code == 200
    assert reviewer_client.get(_url("change", request.pk)).status_code == 200
    assert reviewer_client.get(_url("dashboard")).status_code == 403
    assert reviewer_client.get(reverse("admin:oms_policy_rejectionreason_add")).status_code == 403
    # Support: neither the queue nor the request page in the admin (the look-up is theirs).
    assert support_client.get(reverse(QUEUE)).status_code == 403
    assert support_client.get(_url("change", request.pk)).status_code == 403
    assert support_client.get(_url("dashboard")).status_code == 403
    # Administrators: staff and reference data, not requests.
    assert admin_client.get(reverse(QUEUE)).status_code == 403
    assert admin_client.get(reverse("admin:oms_policy_rejectionreason_add")).status_code == 200
    assert admin_client.get(reverse("admin:oms_policy_insurancecompany_add")).status_code == 200
    assert admin_client.get(reverse("admin:oms_policy_region_add")).status_code == 200
    assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 200
    # The head of reviewers: the dashboard.
    assert head_client.get(_url("dashboard")).status_code == 200


def test_administrator_adds_a_rejection_reason(administrator):
    client = verified_staff_client(administrator)
    response = client.post(
        reverse("admin:oms_policy_rejectionreason_add"),
        {
            "code": "photo-old",
            "text": "Фотография в паспорте устарела.",
            "subject": "passport_photo",
            "position": 5,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert RejectionReason.objects.get(code="photo-old").subject == "passport_photo"


def test_dashboard_figures(review_head, reviewer):
    decided = policy_request_claim(request_id=submitted_request(days_ago=0.5).pk, reviewer=reviewer)
    policy_request_approve(request_id=decided.pk, reviewer=reviewer)
    submitted_request(days_ago=20)  # overdue
    submitted_request(days_ago=0)
    response = verified_staff_client(review_head).get(_url("dashboard"))
    figures = response.context["figures"]
    assert dict(figures.per_status)["Подана"] == 2
    assert dict(figures.per_status)["Одобрена"] == 1
    assert figures.overdue == 1
    assert figures.decided_this_week == 1
    assert figures.median_hours_to_decision == pytest.approx(12.0, abs=0.1)


def test_queue_count_is_capped(reviewer_client, monkeypatch):
    from oms_policy.review_admin import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "CAP", 3)
    for days in range(5):
        submitted_request(days_ago=days)
    response = reviewer_client.get(reverse(QUEUE))
    assert response.context["cl"].result_count == 3
    assert 'id="queue-count">Заявок: не меньше 3 — уточните фильтр</span>' in response.content.decode()
