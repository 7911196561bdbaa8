"""Redis stops at the moment a request changes: the rows are still written, and once Redis is back
a real Celery worker delivers each message exactly once.

The test runs its OWN redis-server on a free port (the machine's shared Redis stays untouched), stops
it before the change and starts it again after.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from notifications.constants import DeliveryStatus
from notifications.models import Notification, OutboundMessage
from notifications.services import outbound_deliver_pending
from notifications.tasks import outbound_deliver_pending_task
from oms_policy.constants import ActorRole, RequestStatus
from oms_policy.services import policy_request_transition
from oms_policy.tests.factories import PolicyRequestFactory

pytestmark = [pytest.mark.redis, pytest.mark.worker]

BASE_DIR = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server: no persistence, so a restart is a fresh, empty broker."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        pytest.fail(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is required (REQUIRE_SERVICES=1) but is not on PATH", pytrace=False)
        pytest.skip("redis-server is not on PATH")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _database_url() -> str:
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or ""
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{config['NAME']}"


@pytest.fixture
def worker_on_own_redis(transactional_db, own_redis, tmp_path, settings):
    """A real Celery worker on `own_redis`, with this process's Celery pointed at the same broker."""
    from portal.celery import app

    outbox = tmp_path / "worker-outbox"
    queue = f"outage-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": own_redis.url,
        "TEST_SMS_BACKEND": "notifications.backends.sms.OutboxSmsBackend",
        "TEST_EMAIL_BACKEND": "notifications.backends.email.OutboxEmailBackend",
        "TEST_OUTBOX_DIR": str(outbox),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--loglevel=INFO"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue, "-n", f"{queue}@%h"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # Fresh connection pools for our broker; the originals are put back untouched afterwards.
    saved = (
        app.conf.task_always_eager,
        app.conf.task_default_queue,
        app.conf.broker_url,
        app._pool,
        app.amqp._producer_pool,
    )
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    app.conf.broker_url = own_redis.url
    settings.OUTBOX_DIR = outbox
    destination = [f"{queue}@{os.uname().nodename}"]

    def wait_until_answering(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if app.control.ping(destination=destination, timeout=1):
                    return
            except Exception:  # the broker is still coming back
                time.sleep(0.5)
            if process.poll() is not None:
                pytest.fail(f"celery worker exited: {process.stdout.read()}")
        pytest.fail(f"celery worker did not answer a ping within {seconds} s")

    def wait_until_idle(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            inspect = app.control.inspect(destination=destination, timeout=1)
            active, reserved = inspect.active() or {}, inspect.reserved() or {}
            if active and not any(active.values()) and not any(reserved.values()):
                return
            time.sleep(0.25)
        pytest.fail(f"celery worker still busy after {seconds} s")

    try:
        wait_until_answering(60)
        yield outbox, wait_until_answering, wait_until_idle
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        (
            app.conf.task_always_eager,
            app.conf.task_default_queue,
            app.conf.broker_url,
            app._pool,
            app.amqp._producer_pool,
        ) = saved
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def _files(outbox: Path, channel: str) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((outbox / channel).glob("*.json"))]


def test_a_change_during_a_redis_outage_is_delivered_exactly_once_when_it_is_back(
    own_redis, worker_on_own_redis, citizen, caplog
):
    outbox, wait_until_answering, wait_until_idle = worker_on_own_redis
    request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.SUBMITTED, number="12345678903")

    own_redis.stop()
    started = time.monotonic()
    with caplog.at_level("ERROR", logger="common.tasking"):
        policy_request_transition(
            request_id=request.pk, new_status=RequestStatus.WITHDRAWN, actor=citizen, role=ActorRole.CITIZEN
        )
    # The citizen's action went through: the status moved, the rows are written, nothing was lost.
    assert time.monotonic() - started < 30
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    assert Notification.objects.filter(recipient=citizen, event="request_withdrawn").count() == 1
    rows = OutboundMessage.objects.filter(user=citizen).order_by("channel")
    assert list(rows.values_list("channel", "status", "attempts")) == [
        ("email", DeliveryStatus.PENDING, 0),
        ("sms", DeliveryStatus.PENDING, 0),
    ]
    assert caplog.text.count("left for the periodic sweep") == 2
    assert _files(outbox, "sms") == [] and _files(outbox, "email") == []

    own_redis.start()
    wait_until_answering(120)
    # Beat's sweep, published twice (beat fires every minute; two runs may overlap): one delivery each.
    outbound_deliver_pending_task.delay()
    outbound_deliver_pending_task.delay()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and rows.filter(status=DeliveryStatus.SENT).count() < 2:
        time.sleep(0.25)
    assert list(rows.values_list("channel", "status", "attempts")) == [
        ("email", DeliveryStatus.SENT, 1),
        ("sms", DeliveryStatus.SENT, 1),
    ]
    # One more sweep here finds nothing to do.
    assert outbound_deliver_pending() == 0
    # Both published sweeps have run: count what actually left the worker.
    wait_until_idle(30)
    sms = _files(outbox, "sms")
    emails = _files(outbox, "email")
    assert [(item["to"], item["text"]) for item in sms] == [
        (citizen.phone.as_e164, "Портал ОМС: заявка 123-456-789-03 отозвана")
    ]
    assert [(item["to"], item["subject"]) for item in emails] == [
        (citizen.email, "Заявка 123-456-789-03 отозвана — Портал ОМС")
    ]
