"""The citizen's pages: the form step by step, its messages, submission over HTTP, the cabinet list
and the request page (owner, other citizen, staff, anonymous), pinned query counts, help texts."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from accounts.constants import IdentityLevel
from notifications.models import Notification, OutboundMessage
from oms_policy import selectors
from oms_policy.constants import ChangeKind, DocumentSlot, RequestStatus, SmoChangeReason
from oms_policy.forms import CITIZEN_FORMS
from oms_policy.models import PolicyRequest, StatusChange
from oms_policy.services import policy_request_draft_update, policy_request_submit
from oms_policy.tests.factories import InsuranceCompanyFactory, PolicyFactory, PolicyRequestFactory, RegionFactory
from oms_policy.tests.journey_support import document_add, documents_fill, request_move


@pytest.fixture
def cl(client, citizen):
    client.force_login(citizen)
    return client


def _submitted(citizen, **fields):
    request = PolicyRequestFactory(applicant=citizen, draft_step=5, **fields)
    documents_fill(request=request)
    return policy_request_submit(request_id=request.pk, actor=citizen, submit_key=f"k{request.pk}")


def _step_url(request, step):
    return f"/requests/{request.pk}/step/{step}/"


# --- who may see what ----------------------------------------------------------------------------


def _urls(request):
    pk = request.pk
    return {
        "get": [f"/requests/{pk}/", f"/requests/{pk}/status/", f"/requests/{pk}/withdraw/"],
        "draft_get": [f"/requests/{pk}/step/1/", f"/requests/{pk}/step/4/", f"/requests/{pk}/delete/"],
        "post": [
            f"/requests/{pk}/submit/",
            f"/requests/{pk}/withdraw/",
            f"/requests/{pk}/resubmit/",
            f"/requests/{pk}/documents/send/",
            f"/requests/{pk}/delete/",
            f"/requests/{pk}/step/1/",
        ],
    }


@pytest.mark.parametrize("persona", ["other_citizen", "reviewer", "support", "admin", "verifier"])
def test_everyone_but_the_owner_gets_404_everywhere(request, client, citizen, persona):
    submitted = _submitted(citizen)
    draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
    client.force_login(request.getfixturevalue(persona))
    for url in _urls(submitted)["get"] + _urls(draft)["draft_get"]:
        assert client.get(url).status_code == 404, url
    for target in (submitted, draft):
        for url in _urls(target)["post"]:
            assert client.post(url, {"submit_key": "x"}).status_code == 404, url
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED
    assert PolicyRequest.objects.filter(pk=draft.pk, status=RequestStatus.DRAFT).exists()
    assert StatusChange.objects.count() == 1


def test_anonymous_goes_to_login(client, citizen):
    submitted = _submitted(citizen)
    urls = ["/requests/", "/requests/services/", "/requests/services/policy-update/"]
    urls += _urls(submitted)["get"] + _urls(submitted)["draft_get"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    for url in _urls(submitted)["post"]:
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_a_standard_account_is_told_how_to_confirm_identity(client, citizen):
    citizen.identity_level = IdentityLevel.STANDARD
    citizen.save(update_fields=["identity_level"])
    client.force_login(citizen)
    page = client.get("/requests/services/policy-update/").content.decode()
    assert "У вас стандартная учётная запись" in page
    assert 'href="/accounts/identity/"' in page
    assert "Начать</button>" not in page
    response = client.post("/requests/services/policy-update/start/")
    assert response.status_code == 403
    assert "запишите короткое видео с открытым паспортом" in response.content.decode()
    assert not PolicyRequest.objects.exists()


# --- the form --------------------------------------------------------------------------------------


def test_start_prefills_and_shows_step_1_of_5(cl, citizen):
    PolicyFactory(holder=citizen)
    response = cl.post("/requests/services/policy-update/start/")
    draft = PolicyRequest.objects.get(applicant=citizen)
    assert response["Location"] == _step_url(draft, 1)
    page = cl.get(_step_url(draft, 1)).content.decode()
    assert "Шаг 1 из 5" in page
    assert 'value="8451999122899990"' in page


@pytest.mark.parametrize(
    ("kind", "number", "message"),
    [
        ("unified", "8451 9991 2289 999", "В номере 15 цифр, нужно 16."),
        ("unified", "8451-9991-2289-9991", "Номер с ошибкой: проверьте цифры."),
        ("unified", "8451 9991 2289 999O", "В номере могут быть только цифры, пробелы и дефисы."),
        ("temporary", "12345678", "В номере 8 цифр, нужно 9."),
        ("unified", "84519991228999901", "В номере 17 цифр, нужно 16."),
    ],
)
def test_step_1_says_what_is_wrong(cl, citizen, kind, number, message):
    draft = PolicyRequestFactory(applicant=citizen, current_policy_number="")
    response = cl.post(
        _step_url(draft, 1),
        {"current_policy_kind": kind, "current_policy_number": number, "region": RegionFactory().pk},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    draft.refresh_from_db()
    assert (draft.current_policy_number, draft.draft_step) == ("", 1)


def test_step_1_accepts_spaces_and_dashes_and_moves_on(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen, current_policy_number="")
    region = RegionFactory()
    response = cl.post(
        _step_url(draft, 1),
        {"current_policy_kind": "unified", "current_policy_number": "2847 0408-4800 0286", "region": region.pk},
    )
    assert response["Location"] == _step_url(draft, 2)
    draft.refresh_from_db()
    assert (draft.current_policy_number, draft.region, draft.draft_step) == ("2847040848000286", region, 2)


def test_old_style_policy_needs_a_series(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen)
    data = {"current_policy_kind": "old", "current_policy_number": "123456", "region": RegionFactory().pk}
    assert "Укажите серию полиса" in cl.post(_step_url(draft, 1), data).content.decode()
    response = cl.post(_step_url(draft, 1), {**data, "current_policy_series": "лг 45"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.current_policy_series, draft.current_policy_number) == ("ЛГ45", "123456")


def test_a_later_step_cannot_be_skipped_to(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=2)
    assert cl.get(_step_url(draft, 4))["Location"] == _step_url(draft, 2)


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ((timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "не может быть позже сегодняшнего дня"),
        ("1890-01-01", "больше чем 130 лет назад"),
    ],
)
def test_step_2_refuses_impossible_birth_dates(cl, citizen, birth_date, message):
    citizen.birth_date = None
    citizen.sex = ""
    citizen.save(update_fields=["birth_date", "sex"])
    draft = PolicyRequestFactory(applicant=citizen, draft_step=2, birth_date=None)
    response = cl.post(_step_url(draft, 2), {"sex": "female", "birth_date": birth_date})
    assert message in response.content.decode()
    draft.refresh_from_db()
    assert draft.birth_date is None


def test_step_2_takes_names_from_the_account_not_from_the_post(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=2)
    cl.post(_step_url(draft, 2), {"last_name": "Подделкина", "sex": "male", "birth_date": "2000-01-01"})
    draft.refresh_from_db()
    assert (draft.last_name, draft.birth_date, draft.draft_step) == ("Иванова", citizen.birth_date, 3)


def test_step_3_smo_change_lists_companies_of_the_region_and_checks_the_rule(cl, citizen):
    region = RegionFactory()
    policy = PolicyFactory(holder=citizen)
    other = InsuranceCompanyFactory(federal_code="45999", name="Капитал МС", region=region)
    draft = PolicyRequestFactory(applicant=citizen, draft_step=3, region=region)
    data = {"change_kind": ChangeKind.SMO_CHANGE, "smo_change_reason": SmoChangeReason.RESIDENCE}
    page = cl.post(_step_url(draft, 3), {**data, "new_insurance_company": policy.insurance_company.pk}).content
    assert "Это ваша нынешняя компания. Выберите другую." in page.decode()
    response = cl.post(_step_url(draft, 3), {**data, "new_insurance_company": other.pk})
    assert response["Location"] == _step_url(draft, 4)
    draft.refresh_from_db()
    assert (draft.change_kind, draft.new_insurance_company, draft.smo_change_reason) == (
        ChangeKind.SMO_CHANGE,
        other,
        SmoChangeReason.RESIDENCE,
    )


def test_step_3_data_correction_stores_old_and_new(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=3)
    response = cl.post(
        _step_url(draft, 3),
        {
            "change_kind": ChangeKind.DATA_CORRECTION,
            "correction_field": "last_name",
            "correction_old": "Иванова",
            "correction_new": "Петрова",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.corrections == {"last_name": {"old": "Иванова", "new": "Петрова"}}
    # The reason document is now required.
    page = cl.get(_step_url(draft, 4)).content.decode()
    reason = page.split('data-doc-slot="reason_document"')[1].split("</section>")[0]
    assert re.search(
        r"Документ, подтверждающий причину изменения\s*<span class=\"doc-slot-need\">обязательно</span>", reason
    )


def test_step_4_blocks_while_a_required_slot_is_empty(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=4)
    document_add(request=draft, slot=DocumentSlot.PASSPORT_PHOTO)
    response = cl.post(_step_url(draft, 4))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Пока нельзя продолжить" in page
    assert "Паспорт: страница с регистрацией: загрузите скан" in page
    draft.refresh_from_db()
    assert draft.draft_step == 4
    documents_fill(request=draft)
    assert cl.post(_step_url(draft, 4))["Location"] == _step_url(draft, 5)


def test_check_page_shows_every_answer_with_edit_links(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
    documents_fill(request=draft)
    page = cl.get(_step_url(draft, 5)).content.decode()
    for step in (1, 2, 3, 4):
        assert f'href="{_step_url(draft, step)}" class="check-edit">Изменить' in page
    assert "8451999122899990" in page and "Иванова Анна Сергеевна" in page and "17.05.1985" in page
    assert "Отправить заявку" in page


def test_submit_over_http_shows_the_number_and_a_double_post_makes_one_request(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
    documents_fill(request=draft)
    first = cl.post(f"/requests/{draft.pk}/submit/", {"submit_key": "click"})
    second = cl.post(f"/requests/{draft.pk}/submit/", {"submit_key": "click"})
    assert first["Location"] == second["Location"] == f"/requests/{draft.pk}/?sent=1"
    assert PolicyRequest.objects.filter(applicant=citizen).count() == 1
    assert StatusChange.objects.filter(request=draft).count() == 1
    draft.refresh_from_db()
    page = cl.get(first["Location"]).content.decode()
    assert "Заявка отправлена" in page
    assert draft.number_display in page
    assert f"Ожидаемая дата решения: {draft.decision_due_on:%d.%m.%Y}" in page


# The submission's SQL: session and user; then one transaction (here a savepoint): the draft locked
# once, two checks (an insurer in the region, the scans; another open request of the kind is the
# database's unique constraint), the UPDATE, the status change, the citizen's e-mail/SMS choice, one
# INSERT for the inbox row and one for the e-mail and SMS rows together (ON CONFLICT DO NOTHING), the
# end of the transaction. It was 30: a second lock of the same row, two savepoints, the open-request
# read, and per inbox/outbox row get_or_create's read, savepoint, INSERT and release.
SUBMIT_QUERIES = 12


def test_submission_runs_a_pinned_number_of_queries(
    cl, citizen, django_assert_num_queries, django_capture_on_commit_callbacks
):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
    documents_fill(request=draft)
    # The check page comes first, as in the browser; it saves the session, so the POST need not.
    assert cl.get(_step_url(draft, 5)).status_code == 200
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(SUBMIT_QUERIES):
        response = cl.post(f"/requests/{draft.pk}/submit/", {"submit_key": "click"})
    assert response["Location"] == f"/requests/{draft.pk}/?sent=1"
    draft.refresh_from_db()
    assert draft.status == RequestStatus.SUBMITTED
    change = StatusChange.objects.get(request=draft)
    assert list(Notification.objects.filter(recipient=citizen).values_list("event", "dedupe_key")) == [
        ("request_submitted", f"request-status:{change.pk}")
    ]
    assert sorted(OutboundMessage.objects.filter(user=citizen).values_list("channel", "recipient", "status")) == [
        ("email", citizen.email, "pending"),
        ("sms", citizen.phone.as_e164, "pending"),
    ]
    # One delivery task per message, published after commit.
    assert len(callbacks) == 2


def test_another_citizen_cannot_send_someone_elses_draft(client, citizen, other_citizen):
    draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
    documents_fill(request=draft)
    client.force_login(other_citizen)
    assert client.post(f"/requests/{draft.pk}/submit/", {"submit_key": "x"}).status_code == 404
    assert client.post("/requests/999999999/submit/", {"submit_key": "x"}).status_code == 404
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT
    assert not StatusChange.objects.filter(request=draft).exists()


def test_a_second_open_request_of_the_kind_is_refused_with_a_link(cl, citizen):
    open_request = _submitted(citizen)
    draft = PolicyRequestFactory(applicant=citizen, draft_step=5)
    documents_fill(request=draft)
    response = cl.post(f"/requests/{draft.pk}/submit/", {"submit_key": "new"})
    page = response.content.decode()
    assert response.status_code == 409
    assert f"У вас уже есть открытая заявка «Продление» № {open_request.number_display}" in page
    assert f'href="/requests/{open_request.pk}/"' in page
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


def test_draft_delete_asks_first(cl, citizen):
    draft = PolicyRequestFactory(applicant=citizen)
    assert "Вернуть их будет нельзя" in cl.get(f"/requests/{draft.pk}/delete/").content.decode()
    assert PolicyRequest.objects.filter(pk=draft.pk).exists()
    assert cl.post(f"/requests/{draft.pk}/delete/")["Location"] == "/requests/"
    assert not PolicyRequest.objects.filter(pk=draft.pk).exists()


# --- the request page and its actions --------------------------------------------------------------


def test_withdraw_asks_then_withdraws(cl, citizen):
    submitted = _submitted(citizen)
    assert "Отозвать заявку №" in cl.get(f"/requests/{submitted.pk}/withdraw/").content.decode()
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED
    cl.post(f"/requests/{submitted.pk}/withdraw/")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.WITHDRAWN


def test_documents_requested_page_lists_the_slots_and_days_left_then_sends(cl, citizen, reviewer):
    submitted = _submitted(citizen)
    due = timezone.localdate() + datetime.timedelta(days=7)
    request_move(
        request=submitted,
        to=RequestStatus.DOCUMENTS_REQUESTED,
        reviewer=reviewer,
        changes={
            "requested_slots": [DocumentSlot.PASSPORT_REGISTRATION],
            "requested_note": "Страница с регистрацией обрезана.",
            "documents_due_on": due,
        },
    )
    page = cl.get(f"/requests/{submitted.pk}/").content.decode()
    assert "Страница с регистрацией обрезана." in page
    assert f"Донести документы до {due:%d.%m.%Y} — осталось дней: 7." in page
    asked = page.split('id="asked-title"')[1].split('id="timeline-title"')[0]
    assert 'data-doc-slot="passport_registration"' in asked
    assert 'data-doc-slot="passport_photo"' not in asked
    document_add(request=submitted, slot=DocumentSlot.PASSPORT_REGISTRATION)
    cl.post(f"/requests/{submitted.pk}/documents/send/")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.IN_REVIEW


def test_rejected_page_offers_resubmission_with_the_reasons(cl, citizen, reviewer):
    submitted = _submitted(citizen)
    request_move(
        request=submitted,
        to=RequestStatus.REJECTED,
        reviewer=reviewer,
        changes={"rejection_text": "Скан паспорта размыт."},
    )
    page = cl.get(f"/requests/{submitted.pk}/").content.decode()
    assert "Скан паспорта размыт." in page and "Подать повторно" in page
    response = cl.post(f"/requests/{submitted.pk}/resubmit/")
    draft = PolicyRequest.objects.get(resubmission_of=submitted)
    assert response["Location"] == _step_url(draft, 1)
    step_page = cl.get(response["Location"]).content.decode()
    assert f"Почему отклонили заявку № {submitted.number}" in step_page
    assert "Скан паспорта размыт." in step_page


def test_status_poll_returns_the_status(cl, citizen):
    submitted = _submitted(citizen)
    data = cl.get(f"/requests/{submitted.pk}/status/").json()
    assert data == {
        "status": "submitted",
        "status_label": "Подана",
        "updated_at": PolicyRequest.objects.get(pk=submitted.pk).updated_at.isoformat(),
    }


def test_the_list_shows_number_service_date_status_and_due_date(cl, citizen):
    submitted = _submitted(citizen)
    draft = PolicyRequestFactory(applicant=citizen, draft_step=3, change_kind=ChangeKind.DATA_CORRECTION)
    page = cl.get("/requests/").content.decode()
    assert submitted.number_display in page
    assert "Обновление полиса ОМС: продление" in page
    assert f"решение до {submitted.decision_due_on:%d.%m.%Y}" in page
    assert '<span class="status-badge status-submitted">Подана</span>' in page
    assert f'href="{_step_url(draft, 3)}"' in page and "шаг 3 из 5" in page


def test_the_list_shows_twenty_a_page_newest_first_with_links_between_pages(cl, citizen):
    from oms_policy.views import REQUEST_LIST_PAGE_SIZE

    for _index in range(REQUEST_LIST_PAGE_SIZE + 5):
        PolicyRequestFactory(applicant=citizen, draft_step=2)
    newest_first = list(PolicyRequest.objects.filter(applicant=citizen).order_by("-created_at", "-pk"))
    first = cl.get("/requests/").content.decode()
    assert first.count("шаг 2 из 5") == REQUEST_LIST_PAGE_SIZE
    assert f'href="{_step_url(newest_first[0], 2)}"' in first
    assert f'href="{_step_url(newest_first[-1], 2)}"' not in first
    assert "Страница 1 из 2" in first and 'href="?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = cl.get("/requests/?page=2").content.decode()
    assert second.count("шаг 2 из 5") == 5
    assert f'href="{_step_url(newest_first[-1], 2)}"' in second
    assert f'href="{_step_url(newest_first[0], 2)}"' not in second
    assert "Страница 2 из 2" in second and 'href="?page=1" rel="prev"' in second and 'rel="next"' not in second
    # A page number that is not one: the nearest page, not an error.
    assert "Страница 2 из 2" in cl.get("/requests/?page=99").content.decode()
    assert "Страница 1 из 2" in cl.get("/requests/?page=x").content.decode()


def test_one_page_of_requests_shows_no_page_links(cl, citizen):
    PolicyRequestFactory(applicant=citizen, draft_step=2)
    page = cl.get("/requests/").content.decode()
    assert "шаг 2 из 5" in page and 'class="pagination"' not in page


# --- query counts: constant whatever the number of requests, changes and documents ----------------


def _many(citizen, reviewer, count):
    kinds = [ChangeKind.RENEWAL, ChangeKind.DATA_CORRECTION, ChangeKind.SMO_CHANGE]
    for index in range(count):
        request = _submitted(
            citizen,
            change_kind=kinds[index % 3],
            corrections={"last_name": {"old": "А", "new": "Б"}},
            new_insurance_company=InsuranceCompanyFactory(),
            smo_change_reason=SmoChangeReason.RESIDENCE,
        )
        # Closed (a test shortcut past the status machine), so the next one of the kind may be sent.
        PolicyRequest.objects.filter(pk=request.pk).update(
            status=[RequestStatus.WITHDRAWN, RequestStatus.POLICY_ISSUED][index % 2]
        )
    return request


# Session, user, the page's own rows (list: the count for its pages and one page of requests; page:
# request, documents, status changes), the bell in the header (unread count and the last messages in
# one query), and the session save (a savepoint around an UPDATE; the tests make it due on every
# request with SESSION_REFRESH_SECONDS = 0).
LIST_QUERIES = 8
PAGE_QUERIES = 9


def test_list_runs_a_constant_number_of_queries(cl, citizen, reviewer, django_assert_num_queries, settings):
    settings.SESSION_REFRESH_SECONDS = 0
    _many(citizen, reviewer, 1)
    with django_assert_num_queries(LIST_QUERIES):
        assert cl.get("/requests/").status_code == 200
    for _ in range(3):
        _many(citizen, reviewer, 3)
    PolicyRequestFactory(applicant=citizen, draft_step=2)
    assert PolicyRequest.objects.filter(applicant=citizen).count() == 11
    with django_assert_num_queries(LIST_QUERIES):
        assert cl.get("/requests/").content.decode().count('class="status-badge') == 11


def test_request_page_runs_a_constant_number_of_queries(cl, citizen, reviewer, django_assert_num_queries, settings):
    settings.SESSION_REFRESH_SECONDS = 0
    small = _submitted(citizen)
    with django_assert_num_queries(PAGE_QUERIES):
        assert cl.get(f"/requests/{small.pk}/").status_code == 200
    big = _submitted(citizen, change_kind=ChangeKind.DATA_CORRECTION, corrections={"x": {"old": "", "new": "y"}})
    for slot in (DocumentSlot.PASSPORT_PHOTO, DocumentSlot.REASON_DOCUMENT, DocumentSlot.CURRENT_POLICY):
        document_add(request=big, slot=slot)
    request_move(
        request=big,
        to=RequestStatus.DOCUMENTS_REQUESTED,
        reviewer=reviewer,
        changes={"requested_slots": [DocumentSlot.PASSPORT_PHOTO], "documents_due_on": timezone.localdate()},
    )
    assert StatusChange.objects.filter(request=big).count() == 3
    assert big.documents.count() == 7
    with django_assert_num_queries(PAGE_QUERIES):
        assert cl.get(f"/requests/{big.pk}/").status_code == 200


# --- texts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("form_class", CITIZEN_FORMS, ids=lambda form: form.__name__)
def test_every_citizen_form_field_has_help_text(form_class):
    fields = form_class.base_fields
    assert fields
    missing = [name for name, field in fields.items() if not str(field.help_text or "").strip()]
    assert missing == []


def test_resubmission_shows_each_reason_beside_its_field_and_document(cl, citizen, reviewer, monkeypatch):
    submitted = _submitted(citizen)
    request_move(request=submitted, to=RequestStatus.REJECTED, reviewer=reviewer, changes={"rejection_text": "Итог."})
    # No review reasons stored yet: nothing is grouped, the text is shown as a whole.
    assert selectors.rejection_reasons_by_subject(request=submitted) == {}
    monkeypatch.setattr(
        selectors,
        "rejection_reasons_by_subject",
        lambda *, request: (
            {
                "current_policy_number": ["Номер не найден в регистре."],
                "passport_photo": ["Скан размыт."],
            }
            if request == submitted
            else {}
        ),
    )
    draft = PolicyRequest.objects.get(pk=cl.post(f"/requests/{submitted.pk}/resubmit/")["Location"].split("/")[2])
    step_1 = cl.get(_step_url(draft, 1)).content.decode()
    after_number = step_1.split('id="id_current_policy_number"')[1].split('<div class="field"')[0]
    assert "Причина отказа" in after_number and "Номер не найден в регистре." in after_number
    policy_request_draft_update(draft=draft, values={}, reached_step=4)
    step_4 = cl.get(_step_url(draft, 4)).content.decode()
    assert "Паспорт: страница с фотографией: Скан размыт." in step_4


def test_a_region_without_an_insurer_is_not_offered_and_blocks_sending(cl, citizen):
    """An approved request in a region with no СМО could never get its policy: refuse it up front."""
    from oms_policy.models import Region
    from oms_policy.services import policy_request_submit_problems

    # The reference data has subjects with no СМО in it yet (e.g. «Алтайский край»).
    empty = Region.objects.exclude(insurance_companies__is_active=True).order_by("name").first()
    assert empty is not None
    draft = PolicyRequestFactory(applicant=citizen, current_policy_number="")
    page = cl.get(_step_url(draft, 1)).content.decode()
    assert f'value="{empty.pk}"' not in page and f'value="{RegionFactory().pk}"' in page
    response = cl.post(
        _step_url(draft, 1),
        {"current_policy_kind": "unified", "current_policy_number": "2847040848000286", "region": empty.pk},
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.region_id, draft.draft_step) != (empty.pk, 2)
    # A draft that got such a region some other way (an old draft, an edited list) cannot be sent.
    draft.region = empty
    draft.save(update_fields=["region"])
    assert "В выбранном регионе нет страховой компании" in " ".join(policy_request_submit_problems(draft=draft))
