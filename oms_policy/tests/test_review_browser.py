"""Headless Chromium: a reviewer logs into the admin with the TOTP second factor, finds a request by
number, opens a scan, requests a document; the citizen sends it; the reviewer approves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.constants import StaffGroup
from accounts.tests.admin_helpers import PASSWORD, totp_device_for, totp_token
from accounts.tests.factories import CitizenFactory, StaffFactory
from oms_policy.constants import ActorRole, DocumentSlot, RequestStatus
from oms_policy.models import PolicyRequest
from oms_policy.numbers import request_number_display
from oms_policy.services import policy_request_transition
from oms_policy.tests.review_helpers import scan_make, submitted_request


@pytest.mark.django_db(transaction=True)
def test_reviewer_requests_a_document_then_approves(page, postgres):
    reviewer = StaffFactory(groups=[StaffGroup.REVIEWERS], last_name="Проверкина", first_name="Ольга")
    device = totp_device_for(reviewer)
    citizen = CitizenFactory(last_name="Иванова", first_name="Анна", patronymic="Сергеевна")
    submitted_request(days_ago=3)  # someone else's request, older: the queue is not just ours
    request = submitted_request(applicant=citizen, days_ago=1)
    scan_make(request=request, slot=DocumentSlot.PASSPORT_PHOTO, metrics={"sharpness": 640.2})
    scan_make(request=request, slot=DocumentSlot.PASSPORT_REGISTRATION, status="failed", verdict="Скан размыт")
    base = page.live_server_url

    # Log in: password and the code from the authenticator app.
    page.goto(f"{base}/admin/login/?next=/admin/oms_policy/policyrequest/")
    page.fill("#id_username", reviewer.email)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", totp_token(device))
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("h1")).to_have_text("Заявки: очередь проверки")

    # Find the request by the number as the citizen wrote it, with dashes.
    page.fill("#searchbar", request_number_display(request.number))
    page.locator("#changelist-search input[type=submit]").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name=request_number_display(request.number)).click()
    expect(page.locator("h1")).to_contain_text(request_number_display(request.number))

    # Claim it.
    page.get_by_role("button", name="Взять в работу").click()
    expect(page.locator(".messagelist")).to_contain_text("взята в работу")
    expect(page.locator("#review-timeline")).to_contain_text("На проверке")

    # The scan: loaded, zoomed, rotated, opened full size.
    image = page.locator("[data-scan-image]").first
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 40", arg=image.element_handle())
    box = page.locator("[data-scan]").first
    box.get_by_role("button", name="Повернуть ↻").click()
    box.get_by_role("button", name="Увеличить").click()
    expect(image).to_have_attribute("data-angle", "90")
    expect(image).to_have_attribute("data-scale", "1.25")
    expect(page.locator("#review-scans")).to_contain_text("Скан размыт")
    with page.context.expect_page() as full_size:
        box.get_by_role("link", name="Открыть в полном размере").click()
    scan_tab = full_size.value
    scan_tab.wait_for_load_state()
    assert scan_tab.evaluate("document.images.length && document.images[0].naturalWidth") == 40
    scan_tab.close()

    # Ask for the registration page again.
    form = page.locator("#review-documents-form")
    form.get_by_label("Паспорт: страница с регистрацией").check()
    form.get_by_label("Что нужно донести (увидит гражданин)").fill("Пересните страницу с регистрацией без бликов.")
    form.get_by_role("button", name="Запросить документы").click()
    expect(page.locator(".messagelist")).to_contain_text("запрошены документы")
    request.refresh_from_db()
    assert request.status == RequestStatus.DOCUMENTS_REQUESTED
    assert request.requested_slots == ["passport_registration"]

    # The citizen sends the new scan: the request comes back to the same reviewer.
    scan_make(request=request, slot=DocumentSlot.PASSPORT_REGISTRATION, new=True)
    policy_request_transition(
        request_id=request.pk, new_status=RequestStatus.IN_REVIEW, actor=citizen, role=ActorRole.CITIZEN
    )

    # «Назначены мне» shows it; the new scan is marked; approve.
    page.goto(f"{base}/admin/oms_policy/policyrequest/?queue=mine")
    page.get_by_role("link", name=request_number_display(request.number)).click()
    expect(page.locator("#review-scans .review-new")).to_have_count(1)
    page.get_by_role("button", name="Одобрить").click()
    expect(page.locator(".messagelist")).to_contain_text(re.compile(r"одобрена"))
    request.refresh_from_db()
    # The approval schedules the policy issue after commit (in-process here): the policy follows.
    assert (request.status, request.reviewer_id) == (RequestStatus.POLICY_ISSUED, reviewer.pk)
    assert list(PolicyRequest.objects.get(pk=request.pk).status_changes.values_list("new_status", flat=True)) == [
        RequestStatus.IN_REVIEW,
        RequestStatus.DOCUMENTS_REQUESTED,
        RequestStatus.IN_REVIEW,
        RequestStatus.APPROVED,
        RequestStatus.POLICY_ISSUED,
    ]
