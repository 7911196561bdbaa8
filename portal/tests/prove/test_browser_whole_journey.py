"""The whole journey in headless Chromium as a new person does it, with no shortcut through the
database for anything the person does: register → confirm the phone and the e-mail → video identity
check (a verifier confirms it in the admin with the authenticator code) → log in with the second
factor → «Мои услуги» → search → form → scans → check page → submit → the number → a reviewer asks
for a document → the citizen sends it → approval → the policy PDF downloads and opens → the
messages are in the inbox and in the e-mail and SMS outboxes. The second run: rejection with reasons
→ «Подать повторно» → approval.

Staff accounts and their authenticator devices are made by the test (an administrator does that in
the admin). Screenshots of every step land in var/screenshots/ (CI keeps them as artifacts).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.constants import IdentityLevel, StaffGroup
from accounts.models import User
from accounts.tests.admin_helpers import WEBM_BYTES, totp_device_for
from accounts.tests.factories import StaffFactory
from notifications.models import OutboundMessage
from oms_policy.constants import RequestStatus
from oms_policy.models import PolicyRequest
from oms_policy.numbers import request_number_display
from oms_policy.tests.journey_support import VALID_ENP, catalogue_ensure
from portal.tests.prove.journey_steps import (
    SAMPLES,
    audited,
    log_in,
    outbox_texts,
    register,
    shot,
    staff_log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def outboxes(settings, fresh_kombu_pools):
    settings.SMS_BACKEND = "notifications.backends.sms.OutboxSmsBackend"
    settings.EMAIL_BACKEND = "notifications.backends.email.OutboxEmailBackend"
    settings.SMS_CODE_RESEND_SECONDS = 0
    return Path(settings.OUTBOX_DIR)


@pytest.fixture
def fresh_kombu_pools():
    """Fresh kombu pools: a broker-outage test earlier in the run may have closed the shared ones."""
    import kombu.pools

    from portal.celery import app

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def _context(browser, name: str):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(20_000)
    return context


def _identity_confirmed_by_verifier(browser, base, *, citizen_page, email, prefix):
    """The citizen sends the video and passport data; a verifier confirms in the admin."""
    page = citizen_page
    page.goto(base + "/cabinet/")
    page.goto(base + "/accounts/identity/")
    page.set_input_files("#id_video", files=[{"name": "запись.webm", "mimeType": "video/webm", "buffer": WEBM_BYTES}])
    page.get_by_label("Серия паспорта").fill("45 10")
    page.get_by_label("Номер паспорта").fill("123456")
    page.get_by_label("Дата выдачи").fill("2015-03-15")
    page.get_by_label("Код подразделения").fill("770-001")
    page.get_by_label("СНИЛС").fill("112-233-445 95")
    shot(page, f"{prefix}05-identity-form")
    page.get_by_role("button", name="Отправить на проверку").click()
    expect(page.locator("main")).to_contain_text("Статус проверки: На проверке")
    shot(page, f"{prefix}06-identity-pending")

    verifier = StaffFactory(groups=[StaffGroup.VERIFIERS], last_name="Сверкина")
    device = totp_device_for(verifier)
    staff = _context(browser, "verifier")
    try:
        admin = staff.new_page()
        staff_log_in(admin, base=base, staff=verifier, device=device, next_path="/admin/accounts/identityverification/")
        admin.locator("#result_list tbody tr a").first.click()
        shot(admin, f"{prefix}07-verifier-admin")
        admin.get_by_role("button", name="Подтвердить личность").click()
        expect(admin.locator(".messagelist")).to_be_visible()
    finally:
        staff.close()
    assert User.objects.get(email=email).identity_level == IdentityLevel.CONFIRMED


def _fill_request(page, base, *, prefix):
    """«Мои услуги» → search → the five steps with real scan uploads → check page → submit."""
    page.goto(base + "/cabinet/")
    page.get_by_role("link", name="Мои услуги").first.click()
    page.get_by_label("Найти услугу").fill("обновить полис")
    page.get_by_role("button", name="Найти").click()
    shot(page, f"{prefix}08-search")
    page.get_by_role("link", name="Обновление полиса ОМС").click()
    shot(page, f"{prefix}09-service")
    page.get_by_role("button", name="Начать").click()

    expect(page.get_by_text("Шаг 1 из 5")).to_be_visible()
    page.get_by_label("Полис единого образца (ЕНП)").check()
    page.get_by_label("Номер полиса").fill("8451 9991 2289 9990")
    page.get_by_label("Регион, где вы живёте").select_option(label="г. Москва")
    shot(page, f"{prefix}10-step-policy")
    page.get_by_role("button", name="Далее").click()

    expect(page.get_by_text("Шаг 2 из 5")).to_be_visible()
    page.get_by_label("Женский").check()
    page.get_by_label("Дата рождения").fill("1988-04-12")
    shot(page, f"{prefix}11-step-person")
    page.get_by_role("button", name="Далее").click()

    expect(page.get_by_text("Шаг 3 из 5")).to_be_visible()
    page.get_by_label("Продление").check()
    shot(page, f"{prefix}12-step-change")
    page.get_by_role("button", name="Далее").click()

    expect(page.get_by_text("Шаг 4 из 5")).to_be_visible()
    _upload(page, "passport_photo", "good-passport.jpg")
    _upload(page, "passport_registration", "good-registration.png")
    _upload(page, "current_policy", "good-text.pdf")
    shot(page, f"{prefix}13-step-documents")
    page.get_by_role("button", name="Далее").click()

    expect(page.get_by_text("Шаг 5 из 5")).to_be_visible()
    expect(page.get_by_text(VALID_ENP)).to_be_visible()
    shot(page, f"{prefix}14-check")
    page.get_by_role("button", name="Отправить заявку").click()
    expect(page.get_by_role("heading", name="Заявка отправлена")).to_be_visible()
    shot(page, f"{prefix}15-submitted")
    return page.locator(".request-number").inner_text()


def _upload(page, slot: str, sample: str) -> None:
    """Choose a file in the slot; the page sends it at once and shows the check's outcome."""
    section = page.locator(f'[data-doc-slot="{slot}"]')
    # The script has taken the form over (it hides the no-script button): a file chosen now is sent.
    expect(section.locator("[data-doc-upload] button[data-no-js]")).to_be_hidden()
    files = section.locator("li.doc-file")
    before = files.count()
    section.locator('input[type="file"]').last.set_input_files(str(SAMPLES / sample))
    expect(files).to_have_count(before + 1, timeout=30_000)
    expect(files.last).to_have_attribute("data-status", "passed", timeout=30_000)


def _citizen_ready(browser, base, outboxes, seen, *, prefix, last_name, first_name, patronymic, phone, email):
    """A new person: registered, both contacts confirmed, identity confirmed, logged in."""
    context = _context(browser, "citizen")
    page = audited(context.new_page(), base)
    register(
        page,
        base=base,
        outbox=outboxes,
        seen=seen,
        last_name=last_name,
        first_name=first_name,
        patronymic=patronymic,
        phone_typed=phone,
        phone=phone,
        email=email,
        prefix=prefix,
    )
    log_in(page, base=base, outbox=outboxes, seen=seen, login=phone, phone=phone)
    expect(page.get_by_role("heading", level=1)).to_have_text("Личный кабинет")
    shot(page, f"{prefix}04-cabinet")
    _identity_confirmed_by_verifier(browser, base, citizen_page=page, email=email, prefix=prefix)
    return context, page


def _reviewer(browser, base, *, prefix):
    """A reviewer's browser, logged into the admin with the password and the authenticator code."""
    reviewer = StaffFactory(groups=[StaffGroup.REVIEWERS], last_name="Проверкина", first_name="Ольга")
    device = totp_device_for(reviewer)
    context = _context(browser, "reviewer")
    admin = context.new_page()
    staff_log_in(admin, base=base, staff=reviewer, device=device, next_path="/admin/oms_policy/policyrequest/")
    expect(admin.locator("h1")).to_have_text("Заявки: очередь проверки")
    shot(admin, f"{prefix}20-review-queue")
    return context, admin


def _open_request(admin, base, number: str) -> None:
    admin.goto(base + "/admin/oms_policy/policyrequest/?queue=all")
    admin.fill("#searchbar", number)
    admin.locator("#changelist-search input[type=submit]").click()
    admin.get_by_role("link", name=number).click()
    expect(admin.locator("h1")).to_contain_text(number)


def _policy_pdf_opens(page, base, *, prefix, enp_holder_name: str) -> str:
    """«Мой полис» → «Скачать PDF»: the file is a PDF whose text holds the ЕНП and the name."""
    page.goto(base + "/cabinet/")
    page.get_by_role("link", name="Мой полис").first.click()
    enp = re.sub(r"\D", "", page.locator("p.policy-enp").inner_text())
    shot(page, f"{prefix}40-my-policy")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Скачать PDF").click()
    path = download_info.value.path()
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF-")
    text = "\n".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(data)).pages)
    assert enp in re.sub(r"\s", "", text)
    assert enp_holder_name in text
    return enp


def test_whole_journey_register_verify_apply_documents_requested_approved_pdf(browser, live_server, outboxes):
    catalogue_ensure()
    base = live_server.url
    seen: set[str] = set()
    phone, email = "+79161234567", "maria@example.ru"
    citizen, page = _citizen_ready(
        browser,
        base,
        outboxes,
        seen,
        prefix="a",
        last_name="Кузнецова",
        first_name="Мария",
        patronymic="Олеговна",
        phone=phone,
        email=email,
    )
    staff, admin = _reviewer(browser, base, prefix="a")
    try:
        number = _fill_request(page, base, prefix="a")
        request = PolicyRequest.objects.get(applicant__email=email)
        assert number == request_number_display(request.number)
        assert request.status == RequestStatus.SUBMITTED

        # The reviewer asks for the registration page again.
        _open_request(admin, base, number)
        admin.get_by_role("button", name="Взять в работу").click()
        expect(admin.locator(".messagelist")).to_contain_text("взята в работу")
        form = admin.locator("#review-documents-form")
        form.get_by_label("Паспорт: страница с регистрацией").check()
        form.get_by_label("Что нужно донести (увидит гражданин)").fill("Пересните страницу с регистрацией без бликов.")
        shot(admin, "a21-review-request-documents")
        form.get_by_role("button", name="Запросить документы").click()
        expect(admin.locator(".messagelist")).to_contain_text("запрошены документы")

        # The citizen sees what is asked, uploads it and sends it.
        page.goto(base + "/requests/")
        page.get_by_role("link", name=number).click()
        expect(page.locator("main")).to_contain_text("Пересните страницу с регистрацией без бликов.")
        _upload(page, "passport_registration", "good-registration.png")
        shot(page, "a30-documents-requested")
        page.get_by_role("button", name="Отправить документы").click()
        shot(page, "a31-documents-sent")
        expect(page.locator("main")).to_contain_text("Документы отправлены на проверку.")

        # The reviewer approves; the policy is issued after the commit.
        _open_request(admin, base, number)
        expect(admin.locator("#review-scans .review-new")).to_have_count(1)
        admin.get_by_role("button", name="Одобрить").click()
        expect(admin.locator(".messagelist")).to_contain_text("одобрена")
        shot(admin, "a22-review-approved")
        request.refresh_from_db()
        assert request.status == RequestStatus.POLICY_ISSUED

        enp = _policy_pdf_opens(page, base, prefix="a", enp_holder_name="Кузнецова")
        assert enp == VALID_ENP

        # Every step is in the inbox, and went out by e-mail and SMS.
        page.goto(base + "/notifications/")
        shot(page, "a50-inbox")
        inbox = page.locator("main").inner_text()
        for title in ("Заявка", number):
            assert title in inbox
        events = [
            "request_submitted",
            "request_in_review",
            "request_documents_requested",
            "request_documents_received",
            "request_approved",
            "request_policy_issued",
        ]
        user = User.objects.get(email=email)
        assert sorted(set(user.notifications.values_list("event", flat=True)) & set(events)) == sorted(events)
        for channel in ("email", "sms"):
            sent = OutboundMessage.objects.filter(user=user, channel=channel, event__in=events)
            assert sorted(sent.values_list("event", flat=True)) == sorted(events), channel
            assert set(sent.values_list("status", flat=True)) == {"sent"}
        sms = outbox_texts(outboxes / "sms", to=phone)
        assert sum(request.number in re.sub(r"\D", "", text) or number in text for text in sms) >= len(events)
        emails = outbox_texts(outboxes / "email", to=email)
        assert sum(number in text for text in emails) >= len(events)

        # The citizen's other pages on the way: the list, settings, help and the chat.
        for path, name in [
            ("/requests/", "a60-requests"),
            ("/notifications/settings/", "a61-notification-settings"),
            ("/help/", "a62-help"),
            ("/support/", "a63-chat"),
            ("/accounts/security/", "a64-security"),
        ]:
            page.goto(base + path)
            shot(page, name)
        # Accessibility: axe-core found nothing serious or critical on any citizen page above, and
        # the Content-Security-Policy refused nothing the pages load.
        assert page.axe_found == {}, json.dumps(page.axe_found, ensure_ascii=False, indent=1)
        assert page.csp_refused == []
    finally:
        staff.close()
        citizen.close()


def test_whole_journey_second_run_rejected_with_reasons_resubmitted_approved(browser, live_server, outboxes):
    catalogue_ensure()
    base = live_server.url
    seen: set[str] = set()
    phone, email = "+79035550123", "oleg@example.ru"
    citizen, page = _citizen_ready(
        browser,
        base,
        outboxes,
        seen,
        prefix="b",
        last_name="Смирнов",
        first_name="Олег",
        patronymic="Игоревич",
        phone=phone,
        email=email,
    )
    staff, admin = _reviewer(browser, base, prefix="b")
    try:
        number = _fill_request(page, base, prefix="b")

        # Rejected with two reasons and an explanation: one message to the citizen.
        _open_request(admin, base, number)
        admin.get_by_role("button", name="Взять в работу").click()
        form = admin.locator("#review-reject-form")
        form.get_by_label("Скан страницы паспорта с фотографией нечитаем.").check()
        form.get_by_label("Данные в заявке не совпадают с паспортом.").check()
        form.get_by_label("Пояснение для гражданина").fill("Сфотографируйте разворот целиком при дневном свете.")
        shot(admin, "b21-review-reject")
        form.get_by_role("button", name="Отказать").click()
        expect(admin.locator(".messagelist")).to_contain_text("отклонена")
        first = PolicyRequest.objects.get(applicant__email=email)
        assert first.status == RequestStatus.REJECTED

        # The citizen reads the reasons and applies again from the rejected request.
        page.goto(base + "/requests/")
        page.get_by_role("link", name=number).click()
        main = page.locator("main")
        expect(main).to_contain_text("Скан страницы паспорта с фотографией нечитаем.")
        expect(main).to_contain_text("Данные в заявке не совпадают с паспортом.")
        expect(main).to_contain_text("Сфотографируйте разворот целиком при дневном свете.")
        shot(page, "b30-rejected")
        page.get_by_role("button", name="Подать повторно").click()
        for _ in range(5):
            if page.get_by_text("Шаг 5 из 5").count():
                break
            if page.get_by_text("Шаг 4 из 5").count():
                _upload(page, "passport_photo", "good-passport.pdf")
                shot(page, "b31-resubmit-documents")
            page.get_by_role("button", name="Далее").click()
        expect(page.get_by_text("Шаг 5 из 5")).to_be_visible()
        page.get_by_role("button", name="Отправить заявку").click()
        expect(page.get_by_role("heading", name="Заявка отправлена")).to_be_visible()
        second_number = page.locator(".request-number").inner_text()
        shot(page, "b32-resubmitted")
        assert second_number != number
        second = PolicyRequest.objects.exclude(pk=first.pk).get(applicant__email=email)
        assert request_number_display(second.number) == second_number

        _open_request(admin, base, second_number)
        expect(admin.locator("#review-changes")).to_be_visible()
        admin.get_by_role("button", name="Взять в работу").click()
        admin.get_by_role("button", name="Одобрить").click()
        expect(admin.locator(".messagelist")).to_contain_text("одобрена")
        second.refresh_from_db()
        assert second.status == RequestStatus.POLICY_ISSUED
        assert _policy_pdf_opens(page, base, prefix="b", enp_holder_name="Смирнов") == VALID_ENP

        user = User.objects.get(email=email)
        rejected = OutboundMessage.objects.filter(user=user, event="request_rejected")
        assert sorted(rejected.values_list("channel", flat=True)) == ["email", "sms"]
        email_body = rejected.get(channel="email").body
        assert "Скан страницы паспорта с фотографией нечитаем." in email_body
        assert "Сфотографируйте разворот целиком при дневном свете." in email_body
        page.goto(base + "/notifications/")
        expect(page.locator("main")).to_contain_text(second_number)
        shot(page, "b50-inbox")
        assert page.axe_found == {}, json.dumps(page.axe_found, ensure_ascii=False, indent=1)
        assert page.csp_refused == []
    finally:
        staff.close()
        citizen.close()
