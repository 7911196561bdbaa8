"""HttpSmsBackend against a real HTTP server on 127.0.0.1 (started here, in a thread)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from notifications.backends.sms import HttpSmsBackend, SmsError
from notifications.constants import Channel, DeliveryStatus
from notifications.models import OutboundMessage
from notifications.services import outbound_deliver

pytestmark = pytest.mark.django_db


class Gateway:
    """A tiny provider: answers with `status` (after `delay` seconds) and records what it got."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                gateway.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers["Authorization"],
                        "content_type": self.headers["Content-Type"],
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                if gateway.delay:
                    time.sleep(gateway.delay)
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    gateway = Gateway()
    settings.SMS_BACKEND = "notifications.backends.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_TOKEN = "test-token"
    settings.SMS_HTTP_TIMEOUT = 1
    settings.SMS_HTTP_ALLOW_INSECURE_LOCALHOST = True
    yield gateway
    gateway.close()


def _message() -> OutboundMessage:
    return OutboundMessage.objects.create(
        channel=Channel.SMS,
        event="registration_code",
        recipient="+79161234567",
        body="Код для регистрации на портале ОМС: 123456.",
        is_sensitive=True,
        dedupe_key="gateway-test",
    )


def test_success_posts_json_with_the_token(gateway):
    message = _message()
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.SENT
    assert gateway.requests == [
        {
            "path": "/send",
            "authorization": "Bearer test-token",
            "content_type": "application/json",
            "body": {"to": "+79161234567", "text": "Код для регистрации на портале ОМС: 123456."},
        }
    ]
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.body == "[стёрто после отправки]"


@pytest.mark.parametrize("status", [400, 401, 422])
def test_4xx_fails_at_once(gateway, status):
    gateway.status = status
    message = _message()
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error == f"gateway answered {status}"
    assert len(gateway.requests) == 1
    # A failed row is never tried again.
    assert outbound_deliver(message_id=message.pk) == "skipped"
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_5xx_and_429_stay_pending_with_backoff(gateway, status):
    gateway.status = status
    message = _message()
    before = message.next_attempt_at
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.PENDING
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error == f"gateway answered {status}"
    assert 59 <= (message.next_attempt_at - before).total_seconds() <= 62
    # The second failure waits twice as long.
    second_try_at = timezone.now()
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.PENDING
    message.refresh_from_db()
    assert message.attempts == 2
    assert 119 <= (message.next_attempt_at - second_try_at).total_seconds() <= 122


def test_timeout_is_transient(gateway):
    gateway.delay = 2.5  # longer than SMS_HTTP_TIMEOUT = 1
    message = _message()
    started = time.monotonic()
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.PENDING
    assert time.monotonic() - started < 2.4
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error.startswith("gateway unreachable")
    assert message.status == DeliveryStatus.PENDING


def test_unreachable_gateway_is_transient(gateway, settings):
    gateway.close()
    message = _message()
    assert outbound_deliver(message_id=message.pk) == DeliveryStatus.PENDING
    message.refresh_from_db()
    assert message.last_error.startswith("gateway unreachable")


def test_plain_http_is_refused_unless_the_test_setting_allows_localhost(gateway, settings):
    settings.SMS_HTTP_ALLOW_INSECURE_LOCALHOST = False
    with pytest.raises(SmsError) as refused:
        HttpSmsBackend().send("+79161234567", "текст")
    assert str(refused.value) == "SMS_HTTP_URL must be an https:// URL"
    assert refused.value.transient is False
    settings.SMS_HTTP_ALLOW_INSECURE_LOCALHOST = True
    settings.SMS_HTTP_URL = "http://gateway.example.ru/send"
    with pytest.raises(SmsError) as refused:
        HttpSmsBackend().send("+79161234567", "текст")
    assert refused.value.transient is False
    assert gateway.requests == []


def test_missing_url_or_token_is_permanent(settings):
    settings.SMS_HTTP_URL = ""
    settings.SMS_HTTP_TOKEN = ""
    with pytest.raises(SmsError) as refused:
        HttpSmsBackend().send("+79161234567", "текст")
    assert refused.value.transient is False
