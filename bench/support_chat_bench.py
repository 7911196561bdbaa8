"""The support chat's poll endpoint behind gunicorn (2 processes) on PostgreSQL: latency under many
open chat pages, and that every page sees every message once and in order while messages are posted.

Usage (PostgreSQL and Redis running; the database is created and migrated if needed):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_chat_bench REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python bench/support_chat_bench.py [--pages 50] [--seconds 30]

Each "page" is a thread that polls /support/messages/?conversation=<id>&after=<last seq> every
SUPPORT_POLL_SECONDS (2 s) like static/js/support-chat.js; a writer posts into every conversation
(as the citizen and as the operator) through the service while they poll. Prints p50/p95/max poll
latency, polls per second, and the check that each page saw 1..N exactly once in order.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PORT = 8766


def ensure_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(url.replace(f"/{name}", "/postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--messages", type=int, default=10, help="messages posted into each conversation")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "localhost",
        "STATIC_ROOT": "/tmp/oms-bench-static",
        "SMS_BACKEND": "notifications.backends.sms.HttpSmsBackend",
        "SMS_HTTP_URL": "https://sms.example.ru/send",
        "SMS_HTTP_TOKEN": "bench",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "SUPPORT_MESSAGES_PER_MINUTE": "1000",
        "SUPPORT_HOURS": "00:00-23:59",
    }
    ensure_database(env["DATABASE_URL"])
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from accounts.constants import StaffGroup
    from accounts.tests.factories import CitizenFactory, StaffFactory
    from support import services

    run = secrets.token_hex(3)
    operator = StaffFactory(email=f"bench-op-{run}@oms.localhost", groups=[StaffGroup.SUPPORT])
    pages = []
    for n in range(args.pages):
        citizen = CitizenFactory(
            email=f"bench-{run}-{n}@example.ru", phone=f"+7999{int(run, 16) % 1000:03d}{n:04d}", snils=None
        )
        client = Client()
        client.force_login(citizen)
        conversation = services.conversation_open(citizen=citizen)
        services.conversation_take(conversation_id=conversation.pk, operator=operator)  # seq 1
        pages.append((citizen, conversation.pk, client.cookies[settings.SESSION_COOKIE_NAME].value))
    total = 1 + args.messages

    server = subprocess.Popen(
        [python, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    latencies: list[float] = []
    seen: dict[int, list[int]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def page(conversation_id: int, cookie: str) -> None:
        after, got = 0, []
        while not stop.is_set():
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}/support/messages/?conversation={conversation_id}&after={after}",
                headers={
                    "X-Forwarded-Proto": "https",
                    "Host": "localhost",
                    "Accept": "application/json",
                    "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
                },
            )
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
                    data = json.loads(response.read())
            except Exception as error:  # noqa: BLE001 - counted and printed
                with lock:
                    errors.append(repr(error))
                time.sleep(settings.SUPPORT_POLL_SECONDS)
                continue
            elapsed = (time.perf_counter() - start) * 1000
            batch = [m["seq"] for m in data["messages"]]
            got.extend(batch)
            if batch:
                after = batch[-1]
            with lock:
                latencies.append(elapsed)
            if not batch:
                stop.wait(settings.SUPPORT_POLL_SECONDS)
        with lock:
            seen[conversation_id] = got

    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        threads = [threading.Thread(target=page, args=(cid, cookie)) for _citizen, cid, cookie in pages]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        # Post while the pages poll: spread over the run, alternating citizen and operator.
        interval = args.seconds * 0.8 / max(args.messages, 1)
        for i in range(args.messages):
            for citizen, cid, _cookie in pages:
                if i % 2 == 0:
                    services.message_post(conversation_id=cid, author=citizen, role="citizen", text=f"вопрос {i}")
                else:
                    services.message_post(conversation_id=cid, author=operator, role="operator", text=f"ответ {i}")
            time.sleep(interval)
        time.sleep(max(0.0, args.seconds - (time.monotonic() - started)))
        stop.set()
        for thread in threads:
            thread.join(30)
        duration = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    samples = sorted(latencies)
    p95 = samples[int(len(samples) * 0.95) - 1]
    complete = sum(1 for got in seen.values() if got == list(range(1, total + 1)))
    print(f"pages: {args.pages}, seconds: {duration:.1f}, polls: {len(samples)} ({len(samples) / duration:.1f}/s)")
    print(f"poll latency ms: p50 {statistics.median(samples):.2f}, p95 {p95:.2f}, max {samples[-1]:.2f}")
    print(f"pages that saw 1..{total} exactly once and in order: {complete}/{len(seen)}; errors: {len(errors)}")


if __name__ == "__main__":
    main()
