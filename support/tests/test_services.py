"""The chat's services: numbering, resends, limits, take/transfer/close, the reply notice, ratings."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from notifications.models import Notification, OutboundMessage
from oms_policy.constants import RequestStatus
from oms_policy.models import StatusChange
from oms_policy.tests.factories import PolicyRequestFactory
from support import selectors, services
from support.constants import AuthorRole, ConversationStatus, RatingPoint
from support.models import Conversation, Message, ServiceRating
from support.tests.helpers import conversation_with

pytestmark = pytest.mark.django_db


def post(conversation, author, role, text, key=""):
    return services.message_post(conversation_id=conversation.pk, author=author, role=role, text=text, client_key=key)


def test_messages_are_numbered_one_by_one_and_polled_after_a_number(citizen, support):
    conversation = conversation_with(citizen=citizen, texts=("первое", "второе"))
    assert services.conversation_take(conversation_id=conversation.pk, operator=support) is True
    post(conversation, support, AuthorRole.OPERATOR, "ответ")
    rows = list(Message.objects.filter(conversation=conversation).values_list("seq", "author_role", "text"))
    assert rows == [
        (1, "citizen", "первое"),
        (2, "citizen", "второе"),
        (3, "system", f"Оператор {support.first_name} подключился к беседе."),
        (4, "operator", "ответ"),
    ]
    conversation.refresh_from_db()
    assert conversation.last_seq == 4
    assert [m.seq for m in selectors.message_list_after(conversation=conversation, after=2)] == [3, 4]
    assert selectors.message_list_after(conversation=conversation, after=4) == []


def test_a_resent_message_with_the_same_key_is_stored_once(citizen, settings):
    settings.SUPPORT_MESSAGES_PER_MINUTE = 2
    conversation = services.conversation_open(citizen=citizen)
    first, created = post(conversation, citizen, AuthorRole.CITIZEN, "потерялся ответ", key="k1")
    again, created_again = post(conversation, citizen, AuthorRole.CITIZEN, "потерялся ответ", key="k1")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Message.objects.filter(conversation=conversation).count() == 1
    # Resends don't eat the rate limit: two more distinct messages still fit in the minute's 2.
    post(conversation, citizen, AuthorRole.CITIZEN, "второе", key="k2")
    with pytest.raises(services.ChatRefused) as refused:
        post(conversation, citizen, AuthorRole.CITIZEN, "третье", key="k3")
    assert refused.value.code == "rate_limited"


def test_citizen_rate_limit_per_minute(citizen, settings):
    settings.SUPPORT_MESSAGES_PER_MINUTE = 3
    conversation = services.conversation_open(citizen=citizen)
    for n in range(3):
        post(conversation, citizen, AuthorRole.CITIZEN, f"сообщение {n}")
    with pytest.raises(services.ChatRefused) as refused:
        post(conversation, citizen, AuthorRole.CITIZEN, "ещё одно")
    assert refused.value.message == "Слишком много сообщений подряд. Подождите минуту и отправьте снова."
    assert Message.objects.filter(conversation=conversation).count() == 3


@pytest.mark.parametrize(
    ("text", "code"),
    [("   \n ", "empty"), ("я" * 2001, "too_long")],
)
def test_empty_and_too_long_messages_are_refused(citizen, text, code):
    conversation = services.conversation_open(citizen=citizen)
    with pytest.raises(services.ChatRefused) as refused:
        post(conversation, citizen, AuthorRole.CITIZEN, text)
    assert refused.value.code == code
    assert not Message.objects.exists()


def test_text_is_stored_as_typed_not_as_html(citizen):
    conversation = services.conversation_open(citizen=citizen)
    message, _ = post(
        conversation, citizen, AuthorRole.CITIZEN, "<script>alert(1)</script> https://evil.example/\r\nстрока"
    )
    assert message.text == "<script>alert(1)</script> https://evil.example/\nстрока"


def test_only_the_holder_answers_and_only_own_conversation_for_citizens(
    citizen, other_citizen, support, second_operator
):
    conversation = conversation_with(citizen=citizen)
    with pytest.raises(services.ChatRefused) as refused:
        post(conversation, support, AuthorRole.OPERATOR, "не взял")
    assert refused.value.code == "not_holder"
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    with pytest.raises(services.ChatRefused):
        post(conversation, second_operator, AuthorRole.OPERATOR, "чужая беседа")
    with pytest.raises(services.ChatRefused) as refused:
        post(conversation, other_citizen, AuthorRole.CITIZEN, "чужая беседа")
    assert refused.value.code == "forbidden"
    assert Message.objects.filter(conversation=conversation).count() == 2  # the question and the join note


def test_take_is_once_and_needs_the_support_role(citizen, support, second_operator, reviewer):
    conversation = conversation_with(citizen=citizen)
    with pytest.raises(services.ChatRefused):
        services.conversation_take(conversation_id=conversation.pk, operator=reviewer)
    assert services.conversation_take(conversation_id=conversation.pk, operator=support) is True
    assert services.conversation_take(conversation_id=conversation.pk, operator=second_operator) is False
    conversation.refresh_from_db()
    assert conversation.operator == support


def test_transfer_moves_the_conversation_to_a_colleague(citizen, support, second_operator, reviewer):
    conversation = conversation_with(citizen=citizen)
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    with pytest.raises(services.ChatRefused) as refused:
        services.conversation_transfer(conversation_id=conversation.pk, operator=support, to_operator=reviewer)
    assert refused.value.code == "not_operator"
    with pytest.raises(services.ChatRefused) as refused:
        services.conversation_transfer(conversation_id=conversation.pk, operator=second_operator, to_operator=support)
    assert refused.value.code == "not_holder"
    services.conversation_transfer(conversation_id=conversation.pk, operator=support, to_operator=second_operator)
    conversation.refresh_from_db()
    assert conversation.operator == second_operator
    assert conversation.messages.order_by("-seq").first().text == "Беседу передали оператору Ольга."
    post(conversation, second_operator, AuthorRole.OPERATOR, "Здравствуйте, это Ольга")


def test_close_by_the_citizen_then_a_new_message_opens_a_new_conversation(citizen):
    conversation = conversation_with(citizen=citizen)
    assert services.conversation_close(conversation_id=conversation.pk, actor=citizen, role=AuthorRole.CITIZEN)
    assert not services.conversation_close(conversation_id=conversation.pk, actor=citizen, role=AuthorRole.CITIZEN)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.closed_by) == (ConversationStatus.CLOSED, citizen)
    with pytest.raises(services.ChatRefused) as refused:
        post(conversation, citizen, AuthorRole.CITIZEN, "ещё вопрос")
    assert refused.value.code == "closed"
    fresh = services.conversation_open(citizen=citizen)
    assert fresh.pk != conversation.pk
    assert Conversation.objects.filter(citizen=citizen, status="open").count() == 1


def test_an_operator_reply_notifies_once_until_the_citizen_reads(citizen, support):
    conversation = conversation_with(citizen=citizen)
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    reply, _ = post(conversation, support, AuthorRole.OPERATOR, "Ответ оператора")
    post(conversation, support, AuthorRole.OPERATOR, "И ещё одно")
    notices = Notification.objects.filter(recipient=citizen, event="support_reply")
    assert [(n.title, n.dedupe_key, n.link) for n in notices] == [
        ("Ответ поддержки", f"support-reply:{conversation.pk}:{reply.seq}", "/support/")
    ]
    assert set(OutboundMessage.objects.filter(event="support_reply").values_list("channel", "recipient")) == {
        ("email", citizen.email),
        ("sms", citizen.phone.as_e164),
    }
    # The text of the conversation never leaves in an e-mail or SMS.
    assert not OutboundMessage.objects.filter(body__contains="Ответ оператора").exists()
    conversation.refresh_from_db()
    services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=conversation.last_seq)
    # Read, and the page was polled just now: the citizen is there, no e-mail for the next reply.
    post(conversation, support, AuthorRole.OPERATOR, "Третье")
    assert notices.all().count() == 1
    # The citizen read that too and left the page five minutes ago: the next reply is news again.
    conversation.refresh_from_db()
    services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=conversation.last_seq)
    Conversation.objects.filter(pk=conversation.pk).update(
        citizen_seen_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    fourth, _ = post(conversation, support, AuthorRole.OPERATOR, "Четвёртое")
    assert notices.all().count() == 2
    assert notices.order_by("-pk").first().dedupe_key == f"support-reply:{conversation.pk}:{fourth.seq}"


def test_a_poll_with_nothing_new_read_writes_nothing_while_presence_is_fresh(
    citizen, support, django_assert_num_queries
):
    conversation = conversation_with(citizen=citizen, texts=("вопрос",))
    services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=conversation.last_seq)
    conversation.refresh_from_db()
    seen = conversation.citizen_seen_at
    assert conversation.citizen_read_seq == conversation.last_seq and seen is not None
    # The next poll a few seconds later has read nothing new: no UPDATE (each would be a commit).
    with django_assert_num_queries(0):
        services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=conversation.last_seq)
    # A new message read moves the mark at once.
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    post(conversation, support, AuthorRole.OPERATOR, "ответ")
    conversation.refresh_from_db()
    with django_assert_num_queries(1):
        services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=conversation.last_seq)
    conversation.refresh_from_db()
    assert conversation.citizen_read_seq == conversation.last_seq
    # Presence older than a third of its window is refreshed, so it never lapses while the page polls.
    Conversation.objects.filter(pk=conversation.pk).update(
        citizen_seen_at=timezone.now() - datetime.timedelta(seconds=11)
    )
    conversation.refresh_from_db()
    services.conversation_mark_read(conversation=conversation, role=AuthorRole.CITIZEN, seq=conversation.last_seq)
    conversation.refresh_from_db()
    assert timezone.now() - conversation.citizen_seen_at < datetime.timedelta(seconds=2)


def test_the_queue_waits_longest_first_with_unread_counts(citizen, other_citizen, support):
    first = conversation_with(citizen=citizen, texts=("a", "b", "c"))
    second = conversation_with(citizen=other_citizen, texts=("x",))
    Conversation.objects.filter(pk=second.pk).update(waiting_since=first.waiting_since - datetime.timedelta(minutes=1))
    queue = list(selectors.conversation_queue())
    assert [(c.pk, c.unread) for c in queue] == [(second.pk, 1), (first.pk, 3)]
    services.conversation_take(conversation_id=first.pk, operator=support)
    first.refresh_from_db()
    post(first, support, AuthorRole.OPERATOR, "ответ")
    queue = list(selectors.conversation_queue())
    # Answered: no longer waiting, so it goes after the ones still waiting; nothing unread.
    assert [(c.pk, c.unread) for c in queue] == [(second.pk, 1), (first.pk, 0)]
    assert [c.pk for c in selectors.conversation_queue(operator=support)] == [first.pk]


def test_search_finds_message_text_case_insensitively(citizen):
    conversation_with(citizen=citizen, texts=("Не могу загрузить СКАН паспорта", "спасибо"))
    assert [m.text for m in selectors.message_search(query="скан")] == ["Не могу загрузить СКАН паспорта"]
    assert list(selectors.message_search(query="с")) == []


# --- ratings --------------------------------------------------------------------------------------


def reach(request, status, reviewer=None):
    StatusChange.objects.create(
        request=request, old_status="", new_status=status, actor=None, actor_role="system", at=timezone.now()
    )


def test_request_rating_once_per_reached_end_point(citizen, other_citizen, reviewer):
    request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.APPROVED, reviewer=reviewer)
    with pytest.raises(services.ChatRefused) as refused:
        services.service_rating_submit(citizen=citizen, point=RatingPoint.REQUEST_APPROVED, request=request, score=5)
    assert refused.value.code == "not_reached"
    reach(request, "submitted")
    reach(request, "approved")
    assert selectors.rating_points_open_for_request(citizen=citizen, request=request) == [
        RatingPoint.REQUEST_SUBMITTED,
        RatingPoint.REQUEST_APPROVED,
    ]
    with pytest.raises(services.ChatRefused) as refused:
        services.service_rating_submit(
            citizen=other_citizen, point=RatingPoint.REQUEST_APPROVED, request=request, score=5
        )
    assert refused.value.code == "forbidden"
    rating = services.service_rating_submit(
        citizen=citizen, point=RatingPoint.REQUEST_APPROVED, request=request, score=4, comment=" быстро "
    )
    assert (rating.score, rating.comment, rating.staff) == (4, "быстро", reviewer)
    with pytest.raises(services.ChatRefused) as refused:
        services.service_rating_submit(citizen=citizen, point=RatingPoint.REQUEST_APPROVED, request=request, score=1)
    assert refused.value.code == "already_rated"
    assert ServiceRating.objects.count() == 1
    assert selectors.rating_points_open_for_request(citizen=citizen, request=request) == [RatingPoint.REQUEST_SUBMITTED]
    with pytest.raises(services.ChatRefused):
        services.service_rating_submit(citizen=citizen, point=RatingPoint.REQUEST_SUBMITTED, request=request, score=6)


def test_chat_rating_after_close_once_about_the_operator(citizen, support):
    conversation = conversation_with(citizen=citizen)
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    with pytest.raises(services.ChatRefused) as refused:
        services.service_rating_submit(citizen=citizen, point=RatingPoint.CHAT, conversation=conversation, score=5)
    assert refused.value.code == "not_closed"
    services.conversation_close(conversation_id=conversation.pk, actor=support, role=AuthorRole.OPERATOR)
    conversation.refresh_from_db()
    rating = services.service_rating_submit(citizen=citizen, point=RatingPoint.CHAT, conversation=conversation, score=5)
    assert (rating.staff, rating.request) == (support, None)
    with pytest.raises(services.ChatRefused):
        services.service_rating_submit(citizen=citizen, point=RatingPoint.CHAT, conversation=conversation, score=2)
    assert ServiceRating.objects.count() == 1


def test_the_operator_sees_the_holder_masked_as_everywhere_else(citizen):
    """«Иванов И. И.» comes from oms_policy.selectors.name_mask, stray spaces in the typed name included."""
    from oms_policy.tests.factories import PolicyRequestFactory
    from support.selectors import citizen_requests_masked

    PolicyRequestFactory(
        applicant=citizen, status="submitted", last_name="Иванова ", first_name=" Анна", patronymic=" "
    )
    [masked] = citizen_requests_masked(citizen=citizen)
    assert masked.holder == "Иванова А."
