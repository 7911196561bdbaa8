"""SMS gateways behind one interface: ``send(phone, text)``, chosen by settings.SMS_BACKEND.

- OutboxSmsBackend (default): prints to the console and writes a file under OUTBOX_DIR/sms/.
- HttpSmsBackend (production): posts to a provider's HTTP API (URL, token, timeout from the
  environment). Use a provider that stores data in Russia (152-FZ).
- LocmemSmsBackend (tests): keeps messages in a list; the paid gateway is the one thing mocked.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.backends.outbox import outbox_file_write

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A failure to send; `transient` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class BaseSmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class OutboxSmsBackend(BaseSmsBackend):
    def send(self, phone: str, text: str) -> None:
        outbox_file_write(channel="sms", to=phone, text=text)
        print(f"[SMS to {phone}] {text}", flush=True)


class LocmemSmsBackend(BaseSmsBackend):
    outbox: list[dict[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        LocmemSmsBackend.outbox.append({"to": phone, "text": text})


class HttpSmsBackend(BaseSmsBackend):
    def send(self, phone: str, text: str) -> None:
        if not settings.SMS_HTTP_URL or not settings.SMS_HTTP_TOKEN:
            raise SmsError("SMS_HTTP_URL and SMS_HTTP_TOKEN must be set", transient=False)
        if not settings.SMS_HTTP_URL.startswith("https://") and not _insecure_localhost_allowed(settings.SMS_HTTP_URL):
            raise SmsError("SMS_HTTP_URL must be an https:// URL", transient=False)
        payload = json.dumps({"to": phone, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            settings.SMS_HTTP_URL,
            data=payload,
            headers={"Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            # bandit B310 (urlopen of a configurable URL): the scheme is checked to be https:// above.
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310  # nosec B310
                response.read()
        except urllib.error.HTTPError as error:
            # 4xx: our request is wrong (bad number, bad token) — retrying will not help.
            raise SmsError(f"gateway answered {error.code}", transient=error.code >= 500 or error.code == 429) from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise SmsError(f"gateway unreachable: {error}", transient=True) from None


def _insecure_localhost_allowed(url: str) -> bool:
    """Plain http:// only to 127.0.0.1 and only when a test turns SMS_HTTP_ALLOW_INSECURE_LOCALHOST on.

    The codes in these messages must never cross a network unencrypted; a gateway started by a
    test on this machine is the one exception.
    """
    if not getattr(settings, "SMS_HTTP_ALLOW_INSECURE_LOCALHOST", False):
        return False
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "http" and parts.hostname == "127.0.0.1"


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
