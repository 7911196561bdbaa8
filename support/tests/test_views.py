"""The chat pages and JSON endpoints: who may see what, polling after a number, escaping, help, footer."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.admin_helpers import verified_staff_client
from oms_policy.tests.factories import PolicyRequestFactory
from support import hours, services
from support.constants import AuthorRole
from support.hours import MOSCOW
from support.models import Conversation, Message
from support.tests.helpers import conversation_with

pytestmark = pytest.mark.django_db

CHAT = reverse("support:chat")
SEND = reverse("support:chat-send")
POLL = reverse("support:chat-messages")
JSON = {"HTTP_ACCEPT": "application/json"}


def poll(client, conversation, after):
    return client.get(POLL, {"conversation": conversation.pk, "after": after}, **JSON)


def send(client, text, key="", **extra):
    return client.post(SEND, {"text": text, "client_key": key, **extra}, **JSON)


# --- the citizen's side -------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in (CHAT, f"{POLL}?conversation=1&after=0"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert client.post(SEND, {"text": "x"}).status_code == 302
    assert not Message.objects.exists()


def test_send_then_poll_with_a_stale_after_returns_each_message_once_in_order(
    citizen_client, citizen, support, at_work
):
    first = send(citizen_client, "Вопрос 1", key="a1")
    assert first.status_code == 201
    data = first.json()
    conversation = Conversation.objects.get(pk=data["conversation"]["id"])
    assert data["message"] == {
        "seq": 1,
        "role": "citizen",
        "author": "Вы",
        "text": "Вопрос 1",
        "at": data["message"]["at"],
        "time": data["message"]["time"],
        "key": "a1",
    }
    send(citizen_client, "Вопрос 2", key="a2")
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    services.message_post(conversation_id=conversation.pk, author=support, role=AuthorRole.OPERATOR, text="Ответ")

    full = poll(citizen_client, conversation, 0).json()
    assert [(m["seq"], m["role"], m["text"]) for m in full["messages"]] == [
        (1, "citizen", "Вопрос 1"),
        (2, "citizen", "Вопрос 2"),
        (3, "system", f"Оператор {support.first_name} подключился к беседе."),
        (4, "operator", "Ответ"),
    ]
    assert full["messages"][3]["author"] == f"Оператор {support.first_name}"
    assert full["hours_notice"] == ""
    # The connection dropped after seq 2 arrived; the page comes back and asks after=2: 3 and 4 only.
    assert [m["seq"] for m in poll(citizen_client, conversation, 2).json()["messages"]] == [3, 4]
    assert poll(citizen_client, conversation, 4).json()["messages"] == []
    # A resend of "Вопрос 2" (its answer was lost) returns the same message; nothing is duplicated.
    again = send(citizen_client, "Вопрос 2", key="a2")
    assert again.status_code == 201 and again.json()["message"]["seq"] == 2
    assert [m["seq"] for m in poll(citizen_client, conversation, 0).json()["messages"]] == [1, 2, 3, 4]


def test_another_citizen_can_neither_read_nor_write(citizen, other_citizen, client):
    conversation = conversation_with(citizen=citizen)
    client.force_login(other_citizen)
    assert poll(client, conversation, 0).status_code == 404
    assert client.post(reverse("support:chat-close", args=[conversation.pk])).status_code == 404
    assert client.post(reverse("support:chat-rate", args=[conversation.pk]), {"score": 5}).status_code == 404
    # Sending never reaches someone else's conversation: it opens the sender's own.
    assert send(client, "чужое?").status_code == 201
    assert conversation.messages.count() == 1
    assert Conversation.objects.get(citizen=other_citizen).messages.get().text == "чужое?"
    # A request that is not theirs can't be tied to a conversation.
    foreign_request = PolicyRequestFactory(applicant=citizen)
    assert client.get(CHAT, {"request": foreign_request.pk}).status_code == 404
    assert send(client, "x", request=foreign_request.pk).status_code == 404


def test_chat_from_a_request_page_ties_the_conversation_to_it(citizen_client, citizen, at_work):
    request = PolicyRequestFactory(applicant=citizen, number="12345678903")
    page = citizen_client.get(CHAT, {"request": request.pk}).content.decode()
    assert f'<input type="hidden" name="request" value="{request.pk}">' in page
    assert "Беседа о заявке № 12345678903" in page
    data = send(citizen_client, "Что с заявкой?", request=request.pk).json()
    assert Conversation.objects.get(pk=data["conversation"]["id"]).request == request
    assert citizen_client.get(CHAT, {"request": "abc"}).status_code == 404


def test_messages_are_escaped_on_the_page_and_plain_in_json(citizen_client, citizen, at_work):
    evil = "<img src=x onerror=alert(1)> https://example.com/"
    send(citizen_client, evil)
    page = citizen_client.get(CHAT).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt; https://example.com/" in page
    assert "<img src=x" not in page
    assert '<a href="https://example.com/' not in page
    conversation = Conversation.objects.get(citizen=citizen)
    assert poll(citizen_client, conversation, 0).json()["messages"][0]["text"] == evil


def test_too_long_and_rate_limited_sends_say_why(citizen_client, settings):
    settings.SUPPORT_MESSAGES_PER_MINUTE = 1
    too_long = send(citizen_client, "я" * (settings.SUPPORT_MESSAGE_MAX_LENGTH + 1))
    assert too_long.status_code == 400
    assert "2000" in too_long.json()["error"]
    assert send(citizen_client, "первое").status_code == 201
    limited = send(citizen_client, "второе")
    assert limited.status_code == 429
    assert limited.json() == {"error": "Слишком много сообщений подряд. Подождите минуту и отправьте снова."}
    assert Message.objects.count() == 1


def test_outside_working_hours_the_chat_says_when_operators_are_back_and_takes_the_message(
    citizen_client, citizen, settings, monkeypatch
):
    settings.SUPPORT_HOURS = "09:00-21:00"
    settings.SUPPORT_DAYS = ["1", "2", "3", "4", "5"]
    saturday_night = datetime.datetime(2026, 12, 5, 22, 30, tzinfo=MOSCOW)
    monkeypatch.setattr(hours, "_now", lambda: saturday_night)
    page = citizen_client.get(CHAT).content.decode()
    assert "Операторы сейчас не работают. Они вернутся 7 декабря в 09:00 по московскому времени" in page
    assert send(citizen_client, "Ночной вопрос").status_code == 201
    conversation = Conversation.objects.get(citizen=citizen)
    assert (
        poll(citizen_client, conversation, 0)
        .json()["hours_notice"]
        .startswith("Операторы сейчас не работают. Они вернутся 7 декабря в 09:00")
    )
    assert "по будням с 09:00 до 21:00 (мск)" in page


def test_citizen_closes_and_rates_the_chat_once(citizen_client, citizen, support):
    conversation = conversation_with(citizen=citizen)
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    citizen_client.post(reverse("support:chat-close", args=[conversation.pk]))
    page = citizen_client.get(CHAT).content.decode()
    assert "Оцените помощь поддержки" in page
    rate = reverse("support:chat-rate", args=[conversation.pk])
    citizen_client.post(rate, {"score": "4", "comment": "помогли"})
    citizen_client.post(rate, {"score": "1"})
    assert list(conversation.ratings.values_list("score", "comment", "staff")) == [(4, "помогли", support.pk)]
    assert "Оцените помощь поддержки" not in citizen_client.get(CHAT).content.decode()


def test_rate_request_page(citizen_client, citizen, other_citizen, reviewer):
    from django.utils import timezone

    from oms_policy.models import StatusChange

    request = PolicyRequestFactory(applicant=citizen, status="rejected", reviewer=reviewer)
    StatusChange.objects.create(request=request, new_status="rejected", actor_role="reviewer", at=timezone.now())
    url = reverse("support:rate-request", args=[request.pk])
    page = citizen_client.get(url, {"point": "request_rejected"}).content.decode()
    assert "Отказ по заявке" in page and 'name="score"' in page
    response = citizen_client.post(url, {"point": "request_rejected", "score": "2", "comment": "непонятно"})
    assert response.status_code == 302
    assert list(request.service_ratings.values_list("point", "score", "staff")) == [
        ("request_rejected", 2, reviewer.pk)
    ]
    # Not reached, or already rated: the form says so and stores nothing.
    response = citizen_client.post(url, {"point": "request_approved", "score": "5"})
    assert "Эту оценку можно поставить, когда заявка дойдёт до этого этапа." in response.content.decode()
    other = Client()
    other.force_login(other_citizen)
    assert other.get(url).status_code == 404
    assert request.service_ratings.count() == 1


# --- the operators' console ---------------------------------------------------------------------

CONSOLE = reverse("support:console")


def console_urls(conversation):
    return [
        CONSOLE,
        reverse("support:console-conversation", args=[conversation.pk]),
        reverse("support:console-messages", args=[conversation.pk]) + "?after=0",
        reverse("support:console-search") + "?q=вопрос",
    ]


def test_console_access_by_role(citizen, client, reviewer, verifier, support, admin):
    conversation = conversation_with(citizen=citizen)
    for url in console_urls(conversation):
        # Anonymous, and staff who did not pass the TOTP factor: the admin login.
        assert client.get(url)["Location"].startswith("/admin/login/?next=")
        unverified = Client()
        unverified.force_login(support)
        assert unverified.get(url)["Location"].startswith("/admin/login/?next=")
        # A citizen: the console does not exist for them.
        citizen_only = Client()
        citizen_only.force_login(citizen)
        assert citizen_only.get(url).status_code == 404
        # Staff without the support role: forbidden.
        for staff in (reviewer, verifier):
            assert verified_staff_client(staff).get(url).status_code == 403
        for staff in (support, admin):
            assert verified_staff_client(staff).get(url).status_code == 200


def test_staff_without_the_support_role_cannot_write_take_or_close(citizen, reviewer, support):
    conversation = conversation_with(citizen=citizen)
    staff = verified_staff_client(reviewer)
    for name in ("console-take", "console-close", "console-transfer"):
        assert (
            staff.post(reverse(f"support:{name}", args=[conversation.pk]), {"to_operator": support.pk}).status_code
            == 403
        )
    response = staff.post(reverse("support:console-messages", args=[conversation.pk]), {"text": "x"}, **JSON)
    assert response.status_code == 403
    conversation.refresh_from_db()
    assert (conversation.operator, conversation.status, conversation.last_seq) == (None, "open", 1)
    # Nor through the citizen's side: a staff member is a citizen with no conversation of their own.
    assert poll(staff, conversation, 0).status_code == 404


def test_operator_takes_replies_and_polls(citizen, operator_client, support, second_operator, at_work):
    conversation = conversation_with(citizen=citizen, texts=("<b>жирный?</b>",))
    page = operator_client.get(reverse("support:console-conversation", args=[conversation.pk])).content.decode()
    assert "Взять беседу" in page and "&lt;b&gt;жирный?&lt;/b&gt;" in page
    messages_url = reverse("support:console-messages", args=[conversation.pk])
    refused = operator_client.post(messages_url, {"text": "до взятия"}, **JSON)
    assert refused.status_code == 409
    operator_client.post(reverse("support:console-take", args=[conversation.pk]))
    reply = operator_client.post(messages_url, {"text": "Здравствуйте!", "client_key": "op1"}, **JSON)
    assert reply.status_code == 201 and reply.json()["message"]["seq"] == 3
    assert (
        operator_client.post(messages_url, {"text": "Здравствуйте!", "client_key": "op1"}, **JSON).json()["message"][
            "seq"
        ]
        == 3
    )
    data = operator_client.get(messages_url, {"after": 1}).json()
    assert [(m["seq"], m["role"]) for m in data["messages"]] == [(2, "system"), (3, "operator")]
    assert data["conversation"]["is_holder"] is True
    # A colleague sees it but can't take it.
    colleague = verified_staff_client(second_operator)
    colleague.post(reverse("support:console-take", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.operator == support


def test_queue_page_lists_waiting_conversations_with_unread_counts(
    citizen, other_citizen, operator_client, django_assert_max_num_queries
):
    conversation_with(citizen=citizen, texts=("a", "b"))
    conversation_with(citizen=other_citizen)
    with django_assert_max_num_queries(12):
        page = operator_client.get(CONSOLE).content.decode()
    assert page.count('data-conversation="') == 2
    partial = operator_client.get(CONSOLE, {"partial": "1"}).content.decode()
    assert partial.count("<tr") == 2 and "<html" not in partial
    assert '<span class="badge badge-inline">2</span>' in partial


def test_console_shows_the_citizens_requests_masked(citizen, operator_client):
    PolicyRequestFactory(applicant=citizen, number="12345678903", status="submitted")
    conversation = conversation_with(citizen=citizen)
    page = operator_client.get(reverse("support:console-conversation", args=[conversation.pk])).content.decode()
    assert "Иванова А. С." in page
    assert "•••9990" in page
    assert "8451999122899990" not in page and "Сергеевна" not in page


def test_search_finds_messages_for_operators(citizen, operator_client):
    conversation_with(citizen=citizen, texts=("Где мой полис?",))
    page = operator_client.get(reverse("support:console-search"), {"q": "ПОЛИС"}).content.decode()
    assert "Где мой полис?" in page
    assert (
        "Ничего не нашлось." in operator_client.get(reverse("support:console-search"), {"q": "ёжик"}).content.decode()
    )


# --- pages for everyone -----------------------------------------------------------------------------


def test_help_page_and_footer(client, settings):
    page = client.get("/help/").content.decode()
    assert client.get("/help/").status_code == 200
    for text in (
        "Как заполнить заявку",
        "Какими должны быть сканы",
        "Что значат статусы заявки",
        "Что делать после отказа",
        "Требуются документы",
        "<dt>Полис выдан</dt><dd>Обновлённый полис в электронном виде",
        settings.HOTLINE_PHONE,
        "ежедневно с 09:00 до 21:00 (мск)",
    ):
        assert text in page
    home = client.get("/").content.decode()
    assert settings.HOTLINE_PHONE in home and 'href="/help/"' in home and 'href="/support/"' in home


def test_support_link_in_the_header_for_citizens(citizen_client):
    page = citizen_client.get("/cabinet/").content.decode()
    assert '<a href="/support/">Поддержка</a>' in page


def test_request_page_include_links_the_chat_and_the_open_rating_points(citizen, rf):
    from django.template.loader import render_to_string
    from django.utils import timezone

    from oms_policy.models import StatusChange

    request = PolicyRequestFactory(applicant=citizen, status="submitted")
    StatusChange.objects.create(request=request, new_status="submitted", actor_role="citizen", at=timezone.now())
    http_request = rf.get("/")
    http_request.user = citizen
    html = render_to_string("support/includes/_request_links.html", {"policy_request": request}, request=http_request)
    assert f'href="/support/?request={request.pk}"' in html
    assert (
        f'href="/support/rate/request/{request.pk}/?point=request_submitted">Оценить услугу: Подача заявки</a>' in html
    )
    assert "request_approved" not in html


def test_a_poll_costs_a_fixed_number_of_queries(citizen_client, citizen, django_assert_max_num_queries, settings):
    settings.SUPPORT_MESSAGES_PER_MINUTE = 100
    conversation = conversation_with(citizen=citizen, texts=tuple(f"m{n}" for n in range(30)))
    with django_assert_max_num_queries(8):
        data = poll(citizen_client, conversation, 10).json()
    assert len(data["messages"]) == 20


def test_the_support_link_takes_operators_to_their_console(support, reviewer):
    assert verified_staff_client(support).get(CHAT)["Location"] == CONSOLE
    # Other staff are not operators: they get the ordinary page (their own, empty, conversation).
    assert verified_staff_client(reviewer).get(CHAT).status_code == 200


def test_operator_transfers_to_a_colleague_and_the_colleague_answers(
    citizen, operator_client, support, second_operator
):
    conversation = conversation_with(citizen=citizen)
    operator_client.post(reverse("support:console-take", args=[conversation.pk]))
    page = operator_client.get(reverse("support:console-conversation", args=[conversation.pk])).content.decode()
    assert f'<option value="{second_operator.pk}">' in page
    response = operator_client.post(
        reverse("support:console-transfer", args=[conversation.pk]), {"to_operator": second_operator.pk}
    )
    assert response["Location"] == CONSOLE
    conversation.refresh_from_db()
    assert conversation.operator == second_operator
    messages_url = reverse("support:console-messages", args=[conversation.pk])
    assert operator_client.post(messages_url, {"text": "уже не моя"}, **JSON).status_code == 409
    colleague = verified_staff_client(second_operator)
    assert colleague.post(messages_url, {"text": "Здравствуйте, это Ольга"}, **JSON).status_code == 201
    closed = colleague.post(reverse("support:console-close", args=[conversation.pk]))
    assert closed["Location"] == CONSOLE
    conversation.refresh_from_db()
    assert (conversation.status, conversation.closed_by) == ("closed", second_operator)
