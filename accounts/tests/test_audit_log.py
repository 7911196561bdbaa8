"""The audit log in the admin: readable by staff with the permission, editable by nobody; no secrets."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.constants import AuditEventKind
from accounts.models import AuditEvent
from accounts.services import audit_record, mask_phone
from accounts.tests.admin_helpers import WEBM_BYTES, standard_citizen_make, verified_staff_client
from accounts.tests.factories import StaffFactory


@pytest.fixture
def auditor(db):
    """A staff member given only view_auditevent (what the support group gets for the log)."""
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="accounts", codename="view_auditevent"))
    return staff


@pytest.fixture
def events(citizen, other_citizen, verifier):
    return [
        audit_record(kind=AuditEventKind.LOGIN, actor=citizen, details={"method": "sms"}),
        audit_record(kind=AuditEventKind.LOGIN_FAILED, subject=other_citizen, details={"login": "masked"}),
        audit_record(
            kind=AuditEventKind.IDENTITY_CONFIRMED, actor=verifier, subject=citizen, details={"verification_id": 1}
        ),
    ]


@pytest.mark.parametrize("persona", ["auditor", "admin"])
def test_staff_with_the_permission_read_the_log(persona, request, events, db):
    client = verified_staff_client(request.getfixturevalue(persona))
    response = client.get(reverse("admin:accounts_auditevent_changelist"))
    assert response.status_code == 200
    assert {event.pk for event in response.context["cl"].result_list} == {event.pk for event in events}
    assert response.context["action_form"] is None  # no actions at all: not even «delete selected»
    detail = client.get(reverse("admin:accounts_auditevent_change", args=[events[0].pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert 'name="_save"' not in html and "deletelink" not in html


@pytest.mark.parametrize("persona", ["auditor", "admin"])
def test_nobody_adds_changes_or_deletes_an_event(persona, request, events, db):
    client = verified_staff_client(request.getfixturevalue(persona))
    event = events[0]
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_add"), {"kind": "login"}).status_code == 403
    change = client.post(reverse("admin:accounts_auditevent_change", args=[event.pk]), {"kind": "logout"})
    assert change.status_code == 403
    assert client.get(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:accounts_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [e.pk for e in events], "post": "yes"},
    )
    assert bulk.status_code == 200  # Django answers «no action selected»: the action does not exist
    assert AuditEvent.objects.count() == 3
    event.refresh_from_db()
    assert event.kind == AuditEventKind.LOGIN


def test_staff_without_the_permission_cannot_read_the_log(reviewer, verifier, events):
    for staff in (reviewer, verifier):
        response = verified_staff_client(staff).get(reverse("admin:accounts_auditevent_changelist"))
        assert response.status_code == 403


def test_the_log_filters_by_kind_and_searches_by_email(admin, events, citizen):
    client = verified_staff_client(admin)
    url = reverse("admin:accounts_auditevent_changelist")
    by_kind = client.get(url, {"kind__exact": AuditEventKind.IDENTITY_CONFIRMED})
    assert [event.pk for event in by_kind.context["cl"].result_list] == [events[2].pk]
    by_email = client.get(url, {"q": citizen.email})
    assert {event.pk for event in by_email.context["cl"].result_list} == {events[0].pk, events[2].pk}


def test_events_never_hold_full_phone_or_passport_numbers(
    client, verifier, sms_outbox, django_capture_on_commit_callbacks
):
    applicant = standard_citizen_make(phone="+79161112233")
    client.force_login(applicant)
    video = SimpleUploadedFile("v.webm", WEBM_BYTES, content_type="video/webm")
    form = {
        "passport_series": "4510",
        "passport_number": "987654",
        "passport_issued_at": "2015-03-15",
        "passport_division_code": "770-001",
        "snils": "112-233-445 95",
        "video": video,
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/identity/", form).status_code == 302
        verification = applicant.identity_verifications.get()
        staff = verified_staff_client(verifier)
        staff.post(
            reverse("admin:accounts_identityverification_refuse", args=[verification.pk]),
            {"reason": "Серия и номер 4510 987654 не читаются"},
        )
    audit_record(
        kind=AuditEventKind.CONTACT_CHANGED, actor=applicant, details={"new_phone": mask_phone(applicant.phone)}
    )
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {AuditEventKind.IDENTITY_SUBMITTED, AuditEventKind.IDENTITY_REFUSED} <= kinds
    stored = json.dumps(
        list(AuditEvent.objects.values("details", "user_agent", "ip_address")), ensure_ascii=False, default=str
    )
    for secret in ("+79161112233", "79161112233", "9161112233", "987654", "4510", "11223344595", "112-233-445 95"):
        assert secret not in stored, secret
    assert "+7 *** ***-**-33" in stored


def test_audit_record_refuses_secret_keys(citizen):
    for key in ("password", "code", "phone", "passport_number", "snils"):
        with pytest.raises(ValueError):
            audit_record(kind=AuditEventKind.LOGIN, actor=citizen, details={key: "x"})
    assert AuditEvent.objects.count() == 0
