"""The outbox: rows first, delivered after commit, retried with backoff, never lost."""

import smtplib
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.backends.sms import SmsError
from notifications.constants import MAX_ATTEMPTS, Channel, DeliveryStatus
from notifications.models import Notification, OutboundMessage
from notifications.services import notify, outbound_deliver
from notifications.tasks import outbound_deliver_pending_task, outbound_deliver_task

pytestmark = pytest.mark.django_db


def _notify(user, key="k1"):
    return notify(user=user, event="demo_ping", context={"code_hint": "проверка"}, dedupe_key=key)


def test_notify_writes_rows_and_delivers_only_after_commit(citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        messages = _notify(citizen)
    # Rows exist, nothing sent yet: delivery waits for the commit.
    assert [m.channel for m in messages] == [Channel.SMS]  # demo_ping has no body.txt => no e-mail
    assert sms_outbox == []
    assert Notification.objects.filter(recipient=citizen, event="demo_ping").count() == 1
    assert len(callbacks) == 1
    callbacks[0]()
    message = OutboundMessage.objects.get()
    assert message.status == DeliveryStatus.SENT
    assert message.sent_at is not None
    assert sms_outbox == [{"to": citizen.phone.as_e164, "text": "Портал ОМС: проверка. Это тестовое сообщение."}]


def test_notify_is_idempotent_by_dedupe_key(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _notify(citizen)
        second = _notify(citizen)
    assert len(first) == 1
    assert second == []
    assert OutboundMessage.objects.count() == 1
    assert Notification.objects.count() == 1


def test_notify_skips_only_the_keys_written_before_and_the_transaction_goes_on(
    citizen, django_capture_on_commit_callbacks
):
    # The e-mail row of this key exists already (a retried transaction, a concurrent writer): the one
    # INSERT … ON CONFLICT DO NOTHING writes the SMS row only, returns it with its id, leaves the old
    # row as it was and does not break the caller's transaction.
    old = OutboundMessage.objects.create(
        channel=Channel.EMAIL, event="identity_confirmed", recipient="old@example.ru", body="old", dedupe_key="k2:email"
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = notify(user=citizen, event="identity_confirmed", dedupe_key="k2")
    (sms,) = created
    assert sms.channel == Channel.SMS
    assert OutboundMessage.objects.get(pk=sms.pk).dedupe_key == "k2:sms"
    assert OutboundMessage.objects.get(dedupe_key="k2:email") == old
    assert OutboundMessage.objects.get(pk=old.pk).body == "old"
    assert OutboundMessage.objects.count() == 2
    assert Notification.objects.filter(dedupe_key="k2").count() == 1
    assert len(callbacks) == 1


def test_notify_without_insert_returning_writes_the_same_rows(citizen, monkeypatch):
    # SQLite before 3.35 (the embedded default on an older system) has no RETURNING.
    monkeypatch.setattr("notifications.services._insert_returning_supported", lambda connection: False)
    OutboundMessage.objects.create(
        channel=Channel.EMAIL, event="identity_confirmed", recipient="old@example.ru", body="old", dedupe_key="k3:email"
    )
    (sms,) = notify(user=citizen, event="identity_confirmed", dedupe_key="k3")
    assert (sms.channel, sms.dedupe_key, sms.recipient) == (Channel.SMS, "k3:sms", citizen.phone.as_e164)
    assert OutboundMessage.objects.get(pk=sms.pk).body == sms.body
    assert notify(user=citizen, event="identity_confirmed", dedupe_key="k3") == []
    assert OutboundMessage.objects.count() == 2


def test_delivery_task_run_twice_sends_once(citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        (message,) = _notify(citizen)
    assert outbound_deliver_task(message.pk) == DeliveryStatus.SENT
    assert outbound_deliver_task(message.pk) == "skipped"
    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_email_with_html_alternative(citizen, django_capture_on_commit_callbacks):
    message = OutboundMessage.objects.create(
        channel=Channel.EMAIL,
        event="demo",
        recipient=citizen.email,
        subject="Тема",
        body="Текст",
        body_html="<p>Текст</p>",
        dedupe_key="mail-1",
    )
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [citizen.email]
    assert mail.outbox[0].alternatives[0][0] == "<p>Текст</p>"


class FlakyGateway:
    calls = 0
    transient = True

    def send(self, phone, text):
        FlakyGateway.calls += 1
        raise SmsError("gateway down", transient=FlakyGateway.transient)


@pytest.fixture
def flaky_gateway(settings):
    settings.SMS_BACKEND = "notifications.tests.test_outbox.FlakyGateway"
    FlakyGateway.calls = 0
    FlakyGateway.transient = True
    return FlakyGateway


def _pending_sms(citizen, **extra):
    return OutboundMessage.objects.create(
        channel=Channel.SMS, event="demo", recipient=str(citizen.phone), body="x", dedupe_key="sms-1", **extra
    )


def test_transient_error_backs_off_then_fails_after_cap(citizen, flaky_gateway):
    message = _pending_sms(citizen)
    delays = []
    for _ in range(MAX_ATTEMPTS - 1):
        before = timezone.now()
        assert outbound_deliver(message_id=message.pk) == DeliveryStatus.PENDING
        message.refresh_from_db()
        delays.append(round((message.next_attempt_at - before).total_seconds() / 60))
    assert delays == [1, 2, 4, 8]
    assert message.last_error == "gateway down"
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert message.attempts == MAX_ATTEMPTS
    assert flaky_gateway.calls == MAX_ATTEMPTS


def test_permanent_error_fails_at_once(citizen, flaky_gateway):
    flaky_gateway.transient = False
    message = _pending_sms(citizen)
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert message.attempts == 1


def test_sensitive_body_is_erased_after_sending(citizen, sms_outbox):
    message = _pending_sms(citizen, is_sensitive=True)
    outbound_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert sms_outbox[0]["text"] == "x"
    assert message.status == DeliveryStatus.SENT
    assert (message.body, message.body_html) == ("[стёрто после отправки]", "")


def test_sweep_sends_only_due_pending_messages(citizen, sms_outbox):
    due = _pending_sms(citizen)
    later = OutboundMessage.objects.create(
        channel=Channel.SMS,
        event="demo",
        recipient=str(citizen.phone),
        body="later",
        dedupe_key="sms-2",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    assert outbound_deliver_pending_task() == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == DeliveryStatus.SENT
    assert later.status == DeliveryStatus.PENDING
    assert [item["text"] for item in sms_outbox] == ["x"]


@contextmanager
def dead_broker():
    """Celery pointed at a port nobody listens on, with fresh connection pools; the originals are put
    back untouched, since other parts of Celery (control, mailbox) keep references to them."""
    from portal.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


def test_after_a_failed_publish_the_process_leaves_tasks_to_the_sweep_for_a_while(
    citizen, settings, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    """During an outage a commit does not wait for the dead broker again and again: after one failed
    publish the next tasks go straight to the sweep, until TASK_PUBLISH_PAUSE_SECONDS have passed."""
    settings.TASK_PUBLISH_PAUSE_SECONDS = 2
    published = []
    real_apply_async = outbound_deliver_task.apply_async

    def apply_async(*args, **kwargs):
        published.append(args)
        return real_apply_async(*args, **kwargs)

    monkeypatch.setattr(outbound_deliver_task, "apply_async", apply_async)
    with dead_broker():
        with caplog.at_level("ERROR", logger="common.tasking"), django_capture_on_commit_callbacks(execute=True):
            messages = notify(user=citizen, event="identity_confirmed", dedupe_key="outage-1")
        # E-mail and SMS: the first publish failed, the second was not tried.
        assert len(messages) == 2
        assert len(published) == 1
        assert caplog.text.count("left for the periodic sweep") == 2
        # The pause is over: the next commit tries the broker again.
        time.sleep(2.1)
        with django_capture_on_commit_callbacks(execute=True):
            notify(user=citizen, event="demo_ping", context={"code_hint": "x"}, dedupe_key="outage-2")
        assert len(published) == 2
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert OutboundMessage.objects.count() == 3


def test_broker_down_loses_nothing(citizen, sms_outbox, settings, django_capture_on_commit_callbacks, caplog):
    """With Redis unreachable the publish fails quietly; the row waits for the sweep."""
    with (
        dead_broker(),
        caplog.at_level("ERROR", logger="common.tasking"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (message,) = _notify(citizen)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.PENDING
    assert "left for the periodic sweep" in caplog.text
    assert outbound_deliver_pending_task() == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert len(sms_outbox) == 1


class BrokenGateway:
    """Raises what no backend promises to raise: a bug, a library's surprise."""

    def send(self, phone, text):
        if text == "boom":
            raise KeyError("template slot")
        BrokenGateway.sent.append(text)

    sent: list[str] = []


def test_unexpected_error_keeps_the_attempt_and_the_sweep_goes_on(citizen, settings, caplog):
    settings.SMS_BACKEND = "notifications.tests.test_outbox.BrokenGateway"
    BrokenGateway.sent = []
    old = timezone.now() - timedelta(minutes=1)
    broken = OutboundMessage.objects.create(
        channel=Channel.SMS, event="demo", recipient="+79161234567", body="boom", dedupe_key="b", next_attempt_at=old
    )
    behind = OutboundMessage.objects.create(
        channel=Channel.SMS, event="demo", recipient="+79161234567", body="next", dedupe_key="n"
    )
    with caplog.at_level("ERROR", logger="notifications.services"):
        assert outbound_deliver_pending_task() == 2
    broken.refresh_from_db()
    behind.refresh_from_db()
    assert (broken.status, broken.attempts, broken.last_error) == (
        DeliveryStatus.PENDING,
        1,
        "KeyError: 'template slot'",
    )
    assert behind.status == DeliveryStatus.SENT
    assert BrokenGateway.sent == ["next"]
    assert f"outbound message {broken.pk}: unexpected error" in caplog.text
    # It stops after the cap like any transient failure: never retried for ever.
    for _ in range(MAX_ATTEMPTS - 1):
        OutboundMessage.objects.filter(pk=broken.pk).update(next_attempt_at=old)
        outbound_deliver(message_id=broken.pk)
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)


def test_sweep_goes_on_when_one_delivery_crashes_outside_the_backend(citizen, sms_outbox, monkeypatch):
    from notifications import services

    first = _pending_sms(citizen, next_attempt_at=timezone.now() - timedelta(minutes=1))
    second = OutboundMessage.objects.create(
        channel=Channel.SMS, event="demo", recipient=str(citizen.phone), body="second", dedupe_key="sms-2"
    )
    real = services.outbound_deliver

    def crash_on_first(*, message_id):
        if message_id == first.pk:
            raise RuntimeError("database hiccup")
        return real(message_id=message_id)

    monkeypatch.setattr(services, "outbound_deliver", crash_on_first)
    assert services.outbound_deliver_pending() == 2
    second.refresh_from_db()
    assert second.status == DeliveryStatus.SENT
    assert [item["text"] for item in sms_outbox] == ["second"]


@pytest.mark.parametrize(
    ("error", "status", "attempts"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b.ru": (550, b"no such user")}), DeliveryStatus.FAILED, 1),
        (smtplib.SMTPSenderRefused(553, b"sender refused", "portal@oms"), DeliveryStatus.FAILED, 1),
        (smtplib.SMTPDataError(554, b"rejected"), DeliveryStatus.FAILED, 1),
        (smtplib.SMTPRecipientsRefused({"a@b.ru": (450, b"mailbox busy")}), DeliveryStatus.PENDING, 1),
        (smtplib.SMTPServerDisconnected("gone"), DeliveryStatus.PENDING, 1),
    ],
)
def test_permanent_smtp_errors_fail_at_once(citizen, monkeypatch, error, status, attempts):
    from django.core.mail import EmailMultiAlternatives

    def refuse(self, fail_silently=False):
        raise error

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    message = OutboundMessage.objects.create(
        channel=Channel.EMAIL, event="demo", recipient="a@b.ru", subject="s", body="b", dedupe_key="m"
    )
    assert outbound_deliver(message_id=message.pk) == status
    message.refresh_from_db()
    assert message.attempts == attempts


def test_sensitive_body_is_erased_when_delivery_fails_for_good(citizen, flaky_gateway):
    flaky_gateway.transient = False
    message = _pending_sms(citizen, is_sensitive=True)
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert (message.body, message.body_html) == ("[стёрто после отправки]", "")
