"""Headless Chromium, the whole journey: search → form (a wrong ЕНП, then the right one) → the
idle timeout mid-form and back in at the same step with nothing typed lost → documents (real
uploads, checked) → check page → submit → the number → the cabinet shows the status and the
expected decision date; and the request page picks up a status change while it is open."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.test_browser_login import log_in
from oms_policy.constants import RequestStatus
from oms_policy.models import PolicyRequest
from oms_policy.services import policy_request_submit
from oms_policy.tests.factories import PolicyFactory, PolicyRequestFactory
from oms_policy.tests.journey_support import catalogue_ensure, documents_fill, request_move

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).resolve().parents[2] / "documents" / "tests" / "samples"
UPLOADS = {
    "passport_photo": "good-passport.jpg",
    "passport_registration": "good-registration.png",
    "current_policy": "good-passport.pdf",
    "reason_document": "good-passport.jpg",
}


@pytest.fixture
def outbox_sms(settings):
    settings.SMS_BACKEND = "notifications.backends.sms.OutboxSmsBackend"
    return Path(settings.OUTBOX_DIR) / "sms"


def test_search_form_timeout_documents_submit_cabinet(transactional_db, citizen, page, outbox_sms, settings):
    settings.SMS_CODE_RESEND_SECONDS = 0  # the test logs in twice within a minute
    catalogue_ensure()
    PolicyFactory(holder=citizen)
    base = page.live_server_url

    page.goto(base + "/cabinet/")
    log_in(page, citizen, outbox_sms, login=citizen.email)
    expect(page).to_have_url(base + "/cabinet/")

    # Search with a typo.
    page.get_by_label("Найти услугу").fill("полюс омс")
    page.get_by_role("button", name="Найти").click()
    page.get_by_role("link", name="Обновление полиса ОМС").click()
    page.get_by_role("button", name="Начать").click()

    # Step 1: a wrong check digit, then the right number with spaces.
    expect(page.get_by_text("Шаг 1 из 5")).to_be_visible()
    number = page.get_by_label("Номер полиса")
    number.fill("8451 9991 2289 9991")
    page.get_by_role("button", name="Далее").click()
    expect(page.get_by_role("alert")).to_contain_text("Номер с ошибкой: проверьте цифры.")
    page.get_by_label("Номер полиса").fill("8451 9991 2289 9990")
    page.get_by_role("button", name="Далее").click()

    # Step 2: names from the account; sex is not on this account yet.
    expect(page.get_by_text("Шаг 2 из 5")).to_be_visible()
    expect(page.get_by_label("Фамилия")).to_have_value("Иванова")
    page.get_by_label("Женский").check()
    page.get_by_role("button", name="Далее").click()

    # Step 3: start typing, then leave the tab idle until the session ends.
    expect(page.get_by_text("Шаг 3 из 5")).to_be_visible()
    draft = PolicyRequest.objects.get(applicant=citizen)
    step_3 = f"{base}/requests/{draft.pk}/step/3/"
    settings.SESSION_COOKIE_AGE = 6
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 3
    page.reload()
    expect(page.get_by_label("Какие данные исправить")).to_be_hidden()
    page.get_by_label("Исправление данных").check()
    expect(page.get_by_label("Новая страховая компания")).to_be_hidden()
    page.get_by_label("Какие данные исправить").select_option("last_name")
    page.get_by_label("Как записано сейчас").fill("Иванова")
    page.get_by_label("Как должно быть").fill("Петрова")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Frequests%2F\d+%2Fstep%2F3%2F$"), timeout=20_000)
    settings.SESSION_COOKIE_AGE = 30 * 60
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 120
    log_in(page, citizen, outbox_sms, login=citizen.email, codes_before=1)

    # Back at the same step of the same draft, with what was typed.
    expect(page).to_have_url(step_3)
    expect(page.get_by_text("Шаг 3 из 5")).to_be_visible()
    expect(page.get_by_label("Исправление данных")).to_be_checked()
    expect(page.get_by_label("Как должно быть")).to_have_value("Петрова")
    page.get_by_role("button", name="Далее").click()

    # Step 4: the slots follow the change (the reason document is required); scans arrive.
    expect(page.get_by_text("Шаг 4 из 5")).to_be_visible()
    expect(page.locator('[data-doc-slot="reason_document"] .doc-slot-need')).to_contain_text("обязательно")
    page.get_by_role("button", name="Далее").click()
    expect(page.get_by_role("alert")).to_contain_text("Пока нельзя продолжить")
    # Real uploads through the documents app's slot (its script uploads on choosing a file and
    # shows the scan check's result).
    for slot, sample in UPLOADS.items():
        page.locator(f"#doc-file-{slot}").set_input_files(SAMPLES / sample)
        expect(page.locator(f'[data-doc-slot="{slot}"] [data-slot-state]')).to_contain_text("Готов", timeout=30_000)
    page.goto(f"{base}/requests/{draft.pk}/step/4/")
    for slot in UPLOADS:
        expect(page.locator(f'[data-doc-slot="{slot}"] [data-slot-state]')).to_contain_text("Готов")
    page.get_by_role("button", name="Далее").click()

    # Step 5: every answer, then send.
    expect(page.get_by_text("Шаг 5 из 5")).to_be_visible()
    expect(page.get_by_text("было: Иванова; станет: Петрова")).to_be_visible()
    expect(page.get_by_text("8451999122899990")).to_be_visible()
    page.get_by_role("button", name="Отправить заявку").click()

    expect(page.get_by_role("heading", name="Заявка отправлена")).to_be_visible()
    sent = PolicyRequest.objects.get(pk=draft.pk)
    assert sent.status == RequestStatus.SUBMITTED
    assert sorted(sent.documents.values_list("slot", "status")) == sorted((slot, "passed") for slot in UPLOADS)
    expect(page.locator(".request-number")).to_have_text(sent.number_display)
    expect(page.get_by_text(f"Ожидаемая дата решения: {sent.decision_due_on:%d.%m.%Y}")).to_be_visible()

    # The cabinet's «Мои заявления».
    page.goto(base + "/cabinet/")
    page.get_by_role("link", name="Мои заявления").first.click()
    row = page.get_by_role("row").filter(has_text=sent.number_display)
    expect(row).to_contain_text("Подана")
    expect(row).to_contain_text(f"решение до {sent.decision_due_on:%d.%m.%Y}")
    assert PolicyRequest.objects.filter(applicant=citizen).count() == 1


def test_the_open_request_page_shows_a_new_status_without_a_manual_reload(
    transactional_db, citizen, reviewer, page, outbox_sms, settings
):
    settings.REQUEST_STATUS_POLL_SECONDS = 5
    request = PolicyRequestFactory(applicant=citizen, draft_step=5)
    documents_fill(request=request)
    policy_request_submit(request_id=request.pk, actor=citizen, submit_key="k")
    page.goto(f"{page.live_server_url}/requests/{request.pk}/")
    log_in(page, citizen, outbox_sms, login=citizen.email)
    expect(page.locator("[data-status-label]")).to_have_text("Подана")

    request_move(request=request, to=RequestStatus.IN_REVIEW, reviewer=reviewer)
    expect(page.locator("[data-status-label]")).to_have_text("На проверке", timeout=15_000)
    expect(page.locator(".timeline")).to_contain_text("На проверке")
