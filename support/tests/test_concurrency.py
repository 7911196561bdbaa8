"""Races on real PostgreSQL connections (one per thread): taking a conversation, posting at once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from support import selectors, services
from support.constants import AuthorRole
from support.models import Conversation, Message
from support.tests.helpers import conversation_with


def in_thread(target, results, index, *args):
    def run():
        try:
            results[index] = target(*args)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            results[index] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def pg(postgres, transactional_db):
    return postgres


def test_second_take_waits_for_the_first_and_finds_the_conversation_taken(pg, citizen, support, second_operator):
    conversation = conversation_with(citizen=citizen)
    first_holds_lock = threading.Event()
    release_first = threading.Event()
    results: list = [None, None]
    timings: dict[str, float] = {}

    def first():
        with transaction.atomic():
            got = services.conversation_take(conversation_id=conversation.pk, operator=support)
            first_holds_lock.set()
            release_first.wait(10)
        return got

    def second():
        first_holds_lock.wait(10)
        started = time.monotonic()
        got = services.conversation_take(conversation_id=conversation.pk, operator=second_operator)
        timings["second"] = time.monotonic() - started
        return got

    threads = [in_thread(first, results, 0), in_thread(second, results, 1)]
    first_holds_lock.wait(10)
    time.sleep(0.5)  # the second connection is now blocked on the row lock inside its UPDATE
    assert threads[1].is_alive()
    release_first.set()
    for thread in threads:
        thread.join(20)
    assert results == [True, False]
    assert timings["second"] >= 0.4  # it really waited for the first transaction
    conversation.refresh_from_db()
    assert conversation.operator == support
    assert list(conversation.messages.filter(author_role=AuthorRole.SYSTEM).values_list("text", flat=True)) == [
        f"Оператор {support.first_name} подключился к беседе."
    ]


def test_many_operators_press_take_at_once_exactly_one_gets_it(pg, citizen):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    operators = [StaffFactory(groups=[StaffGroup.SUPPORT]) for _ in range(6)]
    conversation = conversation_with(citizen=citizen)
    barrier = threading.Barrier(len(operators))
    results: list = [None] * len(operators)

    def take(operator):
        close_old_connections()
        barrier.wait(10)
        return services.conversation_take(conversation_id=conversation.pk, operator=operator)

    threads = [in_thread(take, results, i, op) for i, op in enumerate(operators)]
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False] * 5 + [True]
    conversation.refresh_from_db()
    assert conversation.operator == operators[results.index(True)]


def test_concurrent_posts_are_numbered_without_gaps_and_a_poller_sees_each_once_in_order(
    pg, citizen, support, settings
):
    settings.SUPPORT_MESSAGES_PER_MINUTE = 1000
    conversation = conversation_with(citizen=citizen, texts=("начало",))
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    writers, per_writer = 4, 15
    total = 2 + writers * per_writer  # the first message, the join note, then the posts
    done = threading.Event()
    results: list = [None] * (writers + 1)

    def write(n):
        author, role = (citizen, AuthorRole.CITIZEN) if n % 2 == 0 else (support, AuthorRole.OPERATOR)
        for i in range(per_writer):
            services.message_post(
                conversation_id=conversation.pk, author=author, role=role, text=f"w{n}-{i}", client_key=f"w{n}-{i}"
            )
            if i == per_writer // 2:
                # A resend of the same message (as after a lost answer) adds nothing.
                services.message_post(
                    conversation_id=conversation.pk, author=author, role=role, text=f"w{n}-{i}", client_key=f"w{n}-{i}"
                )
        return per_writer

    def read():
        # A client polling after=<last seq it has>, as the page does, while the writers write.
        seen: list[int] = []
        after = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            batch = selectors.message_list_after(conversation=Conversation(pk=conversation.pk), after=after)
            seen.extend(m.seq for m in batch)
            if batch:
                after = batch[-1].seq
            if done.is_set() and not batch and after >= total:
                break
            time.sleep(0.005)
        return seen

    reader = in_thread(read, results, writers)
    threads = [in_thread(write, results, n, n) for n in range(writers)]
    for thread in threads:
        thread.join(60)
    done.set()
    reader.join(60)
    assert results[:writers] == [per_writer] * writers, results
    assert results[writers] == list(range(1, total + 1))
    seqs = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    # Each writer's own messages keep the order it sent them in.
    for n in range(writers):
        texts = list(
            Message.objects.filter(conversation=conversation, text__startswith=f"w{n}-")
            .order_by("seq")
            .values_list("text", flat=True)
        )
        assert texts == [f"w{n}-{i}" for i in range(per_writer)]
    conversation.refresh_from_db()
    assert conversation.last_seq == total


def test_two_tabs_opening_the_chat_at_once_share_one_conversation(pg, citizen):
    barrier = threading.Barrier(4)
    results: list = [None] * 4

    def open_chat():
        barrier.wait(10)
        return services.conversation_open(citizen=citizen).pk

    threads = [in_thread(open_chat, results, i) for i in range(4)]
    for thread in threads:
        thread.join(30)
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert Conversation.objects.filter(citizen=citizen).count() == 1
