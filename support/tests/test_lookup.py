"""The support look-up: by number in every written form, unknown numbers, audit log, masked data, roles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.admin_helpers import verified_staff_client
from oms_policy.constants import DocumentSlot
from oms_policy.review_models import CallNote, RequestLookup
from oms_policy.review_services import policy_request_claim, policy_request_documents_request
from oms_policy.tests.review_helpers import scan_make, submitted_request

LOOKUP = reverse("support:lookup")

WRITTEN_FORMS = {
    "digits": lambda d: d,
    "spaces": lambda d: f"{d[0:3]} {d[3:6]} {d[6:9]} {d[9:]}",
    "dashes": lambda d: f"{d[0:3]}-{d[3:6]}-{d[6:9]}-{d[9:]}",
    "mixed": lambda d: f" {d[0:3]}- {d[3:6]}  {d[6:9]}-{d[9:]} ",
    "pairs": lambda d: " ".join(d[i : i + 2] for i in range(0, 11, 2)),
}


@pytest.fixture
def support_client(support):
    return verified_staff_client(support)


@pytest.fixture
def request_on_file(citizen):
    citizen.phone = "+79161234567"
    citizen.save(update_fields=["phone"])
    return submitted_request(applicant=citizen)


@pytest.mark.parametrize("written", WRITTEN_FORMS)
def test_lookup_finds_the_request_in_every_written_form(support, support_client, request_on_file, written):
    typed = WRITTEN_FORMS[written](request_on_file.number)
    response = support_client.get(LOOKUP, {"number": typed})
    assert response.status_code == 200
    assert response.context["found"] == request_on_file
    assert response.context["number_display"] == (
        f"{request_on_file.number[0:3]}-{request_on_file.number[3:6]}-"
        f"{request_on_file.number[6:9]}-{request_on_file.number[9:]}"
    )
    log = RequestLookup.objects.get()
    assert (log.actor, log.query, log.request) == (support, request_on_file.number, request_on_file)


def test_lookup_shows_masked_name_and_phone_only(support_client, request_on_file):
    page = support_client.get(LOOKUP, {"number": request_on_file.number}).content.decode()
    assert 'id="lookup-name">Анна Сергеевна И.</dd>' in page
    assert 'id="lookup-phone">+7 *** ***-**-67</dd>' in page
    assert "Иванова" not in page
    assert "1234567" not in page and "916" not in page
    assert request_on_file.applicant.email not in page
    assert "/scan/" not in page and "/documents/" not in page  # no scans for support


def test_lookup_shows_status_timeline_deadline_and_what_was_asked(support_client, reviewer, request_on_file):
    import datetime

    from django.utils import timezone

    policy_request_claim(request_id=request_on_file.pk, reviewer=reviewer)
    due = timezone.localdate() + datetime.timedelta(days=14)
    policy_request_documents_request(
        request_id=request_on_file.pk,
        reviewer=reviewer,
        slots=[DocumentSlot.CURRENT_POLICY],
        note="Нужен скан текущего полиса.",
        due_on=due,
    )
    scan_make(request=request_on_file, slot=DocumentSlot.PASSPORT_PHOTO)
    page = support_client.get(LOOKUP, {"number": request_on_file.number}).content.decode()
    assert 'id="lookup-status">Требуются документы</dd>' in page
    assert "Текущий полис ОМС" in page and "Нужен скан текущего полиса." in page
    assert f'id="lookup-documents-due">{due:%d.%m.%Y}</dd>' in page
    assert page.count("<li>") >= 2 and "На проверке" in page  # the timeline
    assert "/scan/" not in page


@pytest.mark.parametrize(
    "typed",
    ["12345678901", "1234567890", "abc", "123-456-789-0123"],
    ids=["bad-check-digit", "too-short", "letters", "too-long"],
)
def test_unknown_numbers_say_so_and_are_logged(support, support_client, request_on_file, typed):
    response = support_client.get(LOOKUP, {"number": typed})
    page = response.content.decode()
    assert "found" not in response.context
    assert 'id="lookup-not-found"' in page
    assert f"Заявки с номером «{typed}» нет." in page
    log = RequestLookup.objects.get()
    assert (log.actor, log.request) == (support, None)


def test_a_valid_number_that_is_not_on_file_says_so(support_client, request_on_file):
    from oms_policy.numbers import request_number_generate

    other = request_number_generate()
    while other == request_on_file.number:
        other = request_number_generate()
    page = support_client.get(LOOKUP, {"number": other}).content.decode()
    assert 'id="lookup-not-found"' in page
    assert RequestLookup.objects.get().query == other


def test_misheard_digit_never_finds_someone_else(support_client, request_on_file):
    digits = request_on_file.number
    misheard = digits[:4] + str((int(digits[4]) + 1) % 10) + digits[5:]
    response = support_client.get(LOOKUP, {"number": misheard})
    assert 'id="lookup-not-found"' in response.content.decode()


def test_call_note(support, support_client, request_on_file):
    response = support_client.post(
        reverse("support:lookup-call-note", args=[request_on_file.pk]), {"text": "Звонила, объяснили срок"}
    )
    assert response.status_code == 302
    note = CallNote.objects.get()
    assert (note.request, note.author, note.text) == (request_on_file, support, "Звонила, объяснили срок")
    page = support_client.get(LOOKUP, {"number": request_on_file.number}).content.decode()
    assert "Звонила, объяснили срок" in page


# Session, user, TOTP device, groups, the request (with its citizen), the audit row, the timeline and
# the call notes. No bell: it is a staff page.
LOOKUP_QUERIES = 8


def test_lookup_query_count(support_client, request_on_file, django_assert_num_queries):
    support_client.get(LOOKUP, {"number": request_on_file.number})  # the session's refresh mark is due once
    with django_assert_num_queries(LOOKUP_QUERIES):
        response = support_client.get(LOOKUP, {"number": request_on_file.number})
    assert response.status_code == 200


def test_only_support_operators(reviewer, administrator, request_on_file, citizen):
    # Reviewers and administrators have their own pages; the look-up is support's.
    for person in (reviewer, administrator):
        assert verified_staff_client(person).get(LOOKUP, {"number": request_on_file.number}).status_code == 403
        response = verified_staff_client(person).post(
            reverse("support:lookup-call-note", args=[request_on_file.pk]), {"text": "x"}
        )
        assert response.status_code == 403
    # A citizen, anonymous, or staff without the TOTP second factor: to the admin login.
    anonymous = Client().get(LOOKUP, {"number": request_on_file.number})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))
    logged_in_citizen = Client()
    logged_in_citizen.force_login(citizen)
    assert logged_in_citizen.get(LOOKUP).status_code == 302
    assert not RequestLookup.objects.exists()
    assert not CallNote.objects.exists()


def test_support_without_totp_is_sent_to_the_admin_login(support, request_on_file):
    client = Client()
    client.force_login(support)
    response = client.get(LOOKUP, {"number": request_on_file.number})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not RequestLookup.objects.exists()


def test_empty_box_shows_the_form_without_a_log_row(support_client):
    response = support_client.get(LOOKUP)
    assert response.status_code == 200
    assert 'id="lookup-form"' in response.content.decode()
    assert not RequestLookup.objects.exists()


def test_the_staff_header_has_the_staff_tools_not_a_citizens_inbox(support_client, request_on_file):
    """Support pages are staff pages: no citizen bell (and no inbox query), no «Личный кабинет»."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = support_client.get("/support/lookup/", {"number": request_on_file.number}).content.decode()
    assert 'id="lookup-result"' in html
    assert "bell-menu" not in html
    assert "Личный кабинет" not in html
    assert f'href="{reverse("admin:index")}"' in html
    assert not [q for q in queries.captured_queries if "notifications_notification" in q["sql"]]
