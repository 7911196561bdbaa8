"""Every step of the request journey: exactly the expected inbox, e-mail and SMS rows, in the
recipient's language (not the language active when the change is made), SMS within one segment."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from notifications.models import Notification, OutboundMessage
from oms_policy.constants import ActorRole, DocumentSlot, RequestStatus
from oms_policy.events import EVENT_BY_MOVE
from oms_policy.services import policy_request_transition
from oms_policy.tests.factories import PolicyRequestFactory
from oms_policy.transitions import TRANSITIONS

S = RequestStatus
NUMBER = "12345678903"
SHOWN = "123-456-789-03"
DECISION_DUE = datetime.date(2026, 12, 15)
DOCUMENTS_DUE = datetime.date(2026, 12, 10)
REASONS = "Фотография паспорта нечитаема.\nСНИЛС не совпадает с данными паспорта."
NOTE = "Нужна страница с действующей регистрацией."

# (old, new) → {language: (inbox title, inbox text, e-mail subject, SMS, a sentence of the e-mail)}
# None for the e-mail and SMS: the event sends none.
EXPECTED = {
    (S.DRAFT, S.SUBMITTED): {
        "ru": (
            f"Заявка {SHOWN} подана",
            "Заявка на обновление полиса ОМС подана. Решение — не позднее 15 декабря 2026.",
            f"Заявка {SHOWN} подана — Портал ОМС",
            f"Портал ОМС: заявка {SHOWN} подана, решение до 15.12.2026",
            f"Ваша заявка на обновление полиса ОМС подана. Номер заявки: {SHOWN}.",
        ),
        "en": (
            f"Request {SHOWN} submitted",
            "The request to update your OMS policy has been submitted. Decision by 15 December 2026 at the latest.",
            f"Request {SHOWN} submitted — OMS Portal",
            f"OMS Portal: request {SHOWN} submitted, decision by 15.12.2026",
            f"Your request to update your OMS policy has been submitted. Request number: {SHOWN}.",
        ),
    },
    (S.SUBMITTED, S.IN_REVIEW): {
        "ru": (
            f"Заявка {SHOWN} на проверке",
            "Сотрудник начал проверку заявки. Если понадобятся документы, мы напишем, какие и до какого срока.",
            f"Заявка {SHOWN} на проверке — Портал ОМС",
            f"Портал ОМС: заявка {SHOWN} взята на проверку",
            f"Сотрудник взял вашу заявку № {SHOWN} на проверку.",
        ),
        "en": (
            f"Request {SHOWN} in review",
            "A reviewer has started reviewing the request. If documents are needed, we will tell you which ones "
            "and by when.",
            f"Request {SHOWN} in review — OMS Portal",
            f"OMS Portal: request {SHOWN} taken into review",
            f"A reviewer has taken your request No. {SHOWN} into review.",
        ),
    },
    (S.IN_REVIEW, S.SUBMITTED): {
        "ru": (
            f"Заявка {SHOWN} снова в очереди",
            "Заявка вернулась в очередь на проверку: её проверит другой сотрудник. Ничего делать не нужно.",
            None,
            None,
            None,
        ),
        "en": (
            f"Request {SHOWN} back in the queue",
            "The request is back in the review queue: another reviewer will check it. You need not do anything.",
            None,
            None,
            None,
        ),
    },
    (S.IN_REVIEW, S.DOCUMENTS_REQUESTED): {
        "ru": (
            f"Заявка {SHOWN}: нужны документы",
            "Загрузите документы до 10 декабря 2026 включительно: Паспорт: страница с регистрацией, "
            f"Документ, подтверждающий причину изменения. {NOTE}",
            f"По заявке {SHOWN} нужны документы — Портал ОМС",
            f"Портал ОМС: по заявке {SHOWN} нужны документы до 10.12.2026",
            f"Чтобы продолжить проверку заявки № {SHOWN}, нужны документы:\n\n"
            "— Паспорт: страница с регистрацией\n— Документ, подтверждающий причину изменения\n\n"
            f"Комментарий сотрудника: {NOTE}\n\n"
            "Загрузите их в личном кабинете до 10 декабря 2026 включительно.",
        ),
        "en": (
            f"Request {SHOWN}: documents needed",
            "Upload the documents by 10 December 2026 inclusive: Passport: registration page, "
            f"Document proving the reason for the change. {NOTE}",
            f"Documents needed for request {SHOWN} — OMS Portal",
            f"OMS Portal: request {SHOWN} needs documents by 10.12.2026",
            f"To continue reviewing request No. {SHOWN} we need these documents:\n\n"
            "— Passport: registration page\n— Document proving the reason for the change\n\n"
            f"Note from the reviewer: {NOTE}\n\n"
            "Upload them in your account by 10 December 2026 inclusive.",
        ),
    },
    (S.DOCUMENTS_REQUESTED, S.IN_REVIEW): {
        "ru": (
            f"Заявка {SHOWN}: документы получены",
            "Заявка вернулась на проверку к сотруднику. О решении мы сообщим.",
            f"Документы по заявке {SHOWN} получены — Портал ОМС",
            f"Портал ОМС: документы по заявке {SHOWN} получены",
            f"Мы получили документы по заявке № {SHOWN}.",
        ),
        "en": (
            f"Request {SHOWN}: documents received",
            "The request is back in review. We will tell you the decision.",
            f"Documents for request {SHOWN} received — OMS Portal",
            f"OMS Portal: documents for request {SHOWN} received",
            f"We have received the documents for request No. {SHOWN}.",
        ),
    },
    (S.IN_REVIEW, S.APPROVED): {
        "ru": (
            f"Заявка {SHOWN} одобрена",
            "Мы готовим электронный полис ОМС и сообщим, когда он будет выдан.",
            f"Заявка {SHOWN} одобрена — Портал ОМС",
            f"Портал ОМС: заявка {SHOWN} одобрена, полис готовится",
            f"Ваша заявка № {SHOWN} одобрена.",
        ),
        "en": (
            f"Request {SHOWN} approved",
            "We are preparing your electronic OMS policy and will tell you when it is issued.",
            f"Request {SHOWN} approved — OMS Portal",
            f"OMS Portal: request {SHOWN} approved, policy coming",
            f"Your request No. {SHOWN} has been approved.",
        ),
    },
    (S.APPROVED, S.POLICY_ISSUED): {
        "ru": (
            f"Полис выдан по заявке {SHOWN}",
            "Электронный полис — в разделе «Мой полис»: его можно скачать, распечатать или показать в поликлинике "
            "с экрана телефона.",
            f"Полис ОМС по заявке {SHOWN} выдан — Портал ОМС",
            f"Портал ОМС: полис по заявке {SHOWN} готов, он в кабинете",
            f"По заявке № {SHOWN} выдан электронный полис ОМС.\n\nОн в разделе «Мой полис» личного кабинета: ",
        ),
        "en": (
            f"Policy issued for request {SHOWN}",
            "The electronic policy is in “My policy”: download it, print it, or show it at a clinic on your phone.",
            f"OMS policy for request {SHOWN} issued — OMS Portal",
            f"OMS Portal: policy for {SHOWN} is ready in your account",
            f"An electronic OMS policy has been issued for request No. {SHOWN}.\n\n"
            "It is in “My policy” in your account: ",
        ),
    },
    (S.IN_REVIEW, S.REJECTED): {
        "ru": (
            f"Заявка {SHOWN} отклонена",
            f"Причины: {REASONS} Вы можете подать новую заявку, исправив указанное.",
            f"Заявка {SHOWN} отклонена — Портал ОМС",
            f"Портал ОМС: заявка {SHOWN} отклонена, причины в кабинете",
            f"Ваша заявка № {SHOWN} отклонена.\n\nПричины:\n{REASONS}\n\n",
        ),
        "en": (
            f"Request {SHOWN} rejected",
            f"Reasons: {REASONS} You can submit a new request after correcting what is listed.",
            f"Request {SHOWN} rejected — OMS Portal",
            f"OMS Portal: request {SHOWN} rejected, reasons in account",
            f"Your request No. {SHOWN} has been rejected.\n\nReasons:\n{REASONS}\n\n",
        ),
    },
    (S.DOCUMENTS_REQUESTED, S.EXPIRED): {
        "ru": (
            f"Заявка {SHOWN} просрочена",
            "Документы не поступили до 10 декабря 2026, и заявка закрыта. Подайте новую заявку, когда документы "
            "будут готовы.",
            f"Заявка {SHOWN} закрыта: истёк срок для документов — Портал ОМС",
            f"Портал ОМС: срок по заявке {SHOWN} истёк, она закрыта",
            f"Документы по заявке № {SHOWN} не поступили до 10 декабря 2026",
        ),
        "en": (
            f"Request {SHOWN} expired",
            "The documents did not arrive by 10 December 2026, so the request has been closed. Submit a new request "
            "when the documents are ready.",
            f"Request {SHOWN} closed: the documents deadline passed — OMS Portal",
            f"OMS Portal: request {SHOWN} closed, deadline passed",
            f"The documents for request No. {SHOWN} did not arrive by 10 December 2026",
        ),
    },
}
WITHDRAWN = {
    "ru": (
        f"Заявка {SHOWN} отозвана",
        "Заявка отозвана и больше не рассматривается. При необходимости подайте новую.",
        f"Заявка {SHOWN} отозвана — Портал ОМС",
        f"Портал ОМС: заявка {SHOWN} отозвана",
        f"Заявка № {SHOWN} отозвана по вашему запросу и больше не рассматривается.",
    ),
    "en": (
        f"Request {SHOWN} withdrawn",
        "The request has been withdrawn and is no longer being reviewed. Submit a new one if needed.",
        f"Request {SHOWN} withdrawn — OMS Portal",
        f"OMS Portal: request {SHOWN} withdrawn",
        f"Request No. {SHOWN} has been withdrawn at your request and is no longer being reviewed.",
    ),
}
for _old in (S.SUBMITTED, S.IN_REVIEW, S.DOCUMENTS_REQUESTED):
    EXPECTED[(_old, S.WITHDRAWN)] = WITHDRAWN

GREETING = {"ru": "Здравствуйте, {name}!\n\n", "en": "Hello, {name}!\n\n"}
FOOTER = {
    "ru": "Заявка в личном кабинете: {url}\n\nВопросы — в чате поддержки на портале или по телефону {hotline}.",
    "en": "Your request in your account: {url}\n\nQuestions? Use the support chat on the portal or call {hotline}.",
}


def test_every_move_of_the_status_table_has_an_event_and_its_texts():
    assert set(EVENT_BY_MOVE) == set(TRANSITIONS)
    assert set(EXPECTED) == set(TRANSITIONS)


def _move(*, applicant, reviewer, old, new):
    request = PolicyRequestFactory(
        applicant=applicant,
        status=old,
        number=NUMBER,
        reviewer=None if old in (S.DRAFT, S.SUBMITTED) else reviewer,
        decision_due_on=DECISION_DUE,
        documents_due_on=DOCUMENTS_DUE if old == S.DOCUMENTS_REQUESTED else None,
        requested_slots=[DocumentSlot.PASSPORT_REGISTRATION, DocumentSlot.REASON_DOCUMENT],
        requested_note=NOTE if old == S.DOCUMENTS_REQUESTED else "",
    )
    role = TRANSITIONS[(old, new)]
    actor = {ActorRole.CITIZEN: applicant, ActorRole.REVIEWER: reviewer, ActorRole.SYSTEM: None}[role]
    changes = {}
    if new == S.DOCUMENTS_REQUESTED:
        changes = {
            "requested_slots": [DocumentSlot.PASSPORT_REGISTRATION, DocumentSlot.REASON_DOCUMENT],
            "requested_note": NOTE,
            "documents_due_on": DOCUMENTS_DUE,
        }
    elif new == S.REJECTED:
        changes = {"rejection_text": REASONS}
    policy_request_transition(request_id=request.pk, new_status=new, actor=actor, role=role, changes=changes)
    return request


def _policy_path() -> str:
    return reverse("policy:my-policy")


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(("old", "new"), list(TRANSITIONS))
def test_each_event_writes_exactly_its_rows_in_the_recipients_language(
    old, new, language, citizen, en_citizen, reviewer, sms_outbox, django_capture_on_commit_callbacks
):
    recipient = en_citizen if language == "en" else citizen
    title, inbox_text, subject, sms, sentence = EXPECTED[(old, new)][language]
    # Whoever makes the change works in the other language: it must not leak into the messages.
    with translation.override("ru" if language == "en" else "en"), django_capture_on_commit_callbacks(execute=True):
        request = _move(applicant=recipient, reviewer=reviewer, old=old, new=new)

    link = _policy_path() if new == S.POLICY_ISSUED else reverse("oms_policy:request-detail", args=[request.pk])
    # An approval also issues the policy at once here (tasks run in-process): its own message follows.
    followed_by = 1 if new == S.APPROVED else 0
    assert Notification.objects.filter(recipient=recipient).count() == 1 + followed_by
    notification = Notification.objects.get(recipient=recipient, event=EVENT_BY_MOVE[(old, new)])
    assert (notification.event, notification.title, notification.body, notification.link) == (
        EVENT_BY_MOVE[(old, new)],
        title,
        inbox_text,
        link,
    )
    outbound = OutboundMessage.objects.filter(user=recipient, event=EVENT_BY_MOVE[(old, new)])
    if subject is None:
        assert list(outbound) == []
        assert mail.outbox == []
        assert sms_outbox == []
        return
    assert sorted(outbound.values_list("channel", "status")) == [("email", "sent"), ("sms", "sent")]
    assert len(sms_outbox) == 1 + followed_by and len(mail.outbox) == 1 + followed_by
    assert sms_outbox[0] == {"to": recipient.phone.as_e164, "text": sms}
    email = mail.outbox[0]
    assert (email.to, email.subject) == ([recipient.email], subject)
    request_url = f"{settings.PORTAL_BASE_URL}{reverse('oms_policy:request-detail', args=[request.pk])}"
    assert email.body.startswith(GREETING[language].format(name=recipient.first_name))
    assert email.body.endswith(FOOTER[language].format(url=request_url, hotline=settings.HOTLINE_PHONE))
    assert sentence in email.body
    if new == S.POLICY_ISSUED:
        assert f"{settings.PORTAL_BASE_URL}{link}" in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert html.startswith("<!DOCTYPE html>\n") and f'<html lang="{language}">' in html
    assert f"<p>{GREETING[language].format(name=recipient.first_name).strip()}</p>" in html
    assert f'<a href="{request_url}">{request_url}</a>' in html
    assert "{%" not in email.body + html + notification.body + sms


def test_documents_requested_html_lists_the_documents_and_escapes_the_note(
    citizen, reviewer, django_capture_on_commit_callbacks
):
    request = PolicyRequestFactory(applicant=citizen, status=S.IN_REVIEW, number=NUMBER, reviewer=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        policy_request_transition(
            request_id=request.pk,
            new_status=S.DOCUMENTS_REQUESTED,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            changes={
                "requested_slots": [DocumentSlot.PASSPORT_PHOTO],
                "requested_note": "<b>скан</b> & фото",
                "documents_due_on": DOCUMENTS_DUE,
            },
        )
    [email] = mail.outbox
    html = email.alternatives[0][0]
    assert "<ul><li>Паспорт: страница с фотографией</li></ul>" in html
    assert "Комментарий сотрудника: &lt;b&gt;скан&lt;/b&gt; &amp; фото" in html
    assert "Комментарий сотрудника: <b>скан</b> & фото" in email.body


def test_rejection_reasons_arrive_as_one_message_per_channel(citizen, reviewer, sms_outbox):
    request = PolicyRequestFactory(applicant=citizen, status=S.IN_REVIEW, number=NUMBER, reviewer=reviewer)
    policy_request_transition(
        request_id=request.pk,
        new_status=S.REJECTED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        changes={"rejection_text": REASONS},
    )
    assert Notification.objects.filter(recipient=citizen).count() == 1
    assert sorted(OutboundMessage.objects.values_list("channel", flat=True)) == ["email", "sms"]
    body = OutboundMessage.objects.get(channel="email").body
    assert body.count("Фотография паспорта нечитаема.") == 1
    assert body.count("СНИЛС не совпадает с данными паспорта.") == 1


# --- SMS: one segment ------------------------------------------------------------------------------------

SMS_EVENTS = sorted(set(EVENT_BY_MOVE.values()) | {"request_documents_reminder"})


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_request_sms_fits_one_segment(language, db):
    """70 characters: a Cyrillic SMS (UCS-2) segment; the English texts are held to the same limit."""
    from oms_policy.models import PolicyRequest

    request = PolicyRequest(number="98765432109", decision_due_on=datetime.date(2026, 12, 31))
    request.documents_due_on = datetime.date(2026, 12, 28)
    context = {
        "request": request,
        "number": "987-654-321-09",
        "decision_due": request.decision_due_on,
        "documents_due": request.documents_due_on,
        "portal_url": settings.PORTAL_BASE_URL,
        "hotline": settings.HOTLINE_PHONE,
    }
    lengths = {}
    with translation.override(language):
        for event in SMS_EVENTS:
            try:
                text = render_to_string(f"notifications/{event}/sms.txt", context).strip()
            except Exception as error:  # request_returned has no SMS
                assert event == "request_returned", error
                continue
            assert "987-654-321-09" in text
            lengths[event] = len(text)
    assert len(lengths) == len(SMS_EVENTS) - 1
    assert max(lengths.values()) <= 70, lengths


@pytest.mark.parametrize(
    ("language", "title", "subject", "sms", "sentence"),
    [
        (
            "ru",
            f"Заявка {SHOWN}: документы до 10.12.2026",
            f"Напоминание: документы по заявке {SHOWN} нужны до 10.12.2026 — Портал ОМС",
            f"Портал ОМС: документы по заявке {SHOWN} нужны до 10.12.2026",
            f"Напоминаем: по заявке № {SHOWN} мы ждём документы до 10 декабря 2026 включительно:\n\n"
            "— Паспорт: страница с фотографией\n\n",
        ),
        (
            "en",
            f"Request {SHOWN}: documents due 10.12.2026",
            f"Reminder: documents for request {SHOWN} due 10.12.2026 — OMS Portal",
            f"OMS Portal: documents for request {SHOWN} due 10.12.2026",
            f"A reminder: for request No. {SHOWN} we need these documents by 10 December 2026 inclusive:\n\n"
            "— Passport: photo page\n\n",
        ),
    ],
)
def test_the_documents_reminder_in_the_recipients_language(
    language,
    title,
    subject,
    sms,
    sentence,
    citizen,
    en_citizen,
    sms_outbox,
    django_capture_on_commit_callbacks,
):
    from oms_policy.events import request_documents_reminder_notify

    recipient = en_citizen if language == "en" else citizen
    request = PolicyRequestFactory(
        applicant=recipient,
        status=S.DOCUMENTS_REQUESTED,
        number=NUMBER,
        requested_slots=[DocumentSlot.PASSPORT_PHOTO],
        documents_due_on=DOCUMENTS_DUE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert request_documents_reminder_notify(request=request, days_before=3) is True
        assert request_documents_reminder_notify(request=request, days_before=3) is False
    assert list(Notification.objects.values_list("title", flat=True)) == [title]
    assert [message.subject for message in mail.outbox] == [subject]
    assert sentence in mail.outbox[0].body
    assert sms_outbox == [{"to": recipient.phone.as_e164, "text": sms}]
