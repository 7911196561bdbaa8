"""Project-wide fixtures: the personas, and the real services some tests need.

A test that needs PostgreSQL, Redis, a Celery worker or Chromium asks for the fixture below. On a
machine without the service the test is skipped with the reason; with REQUIRE_SERVICES=1 (CI) a
missing service fails the run instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def service_missing(name: str, why: str) -> None:
    """Skip, or fail when the run says every service must be there."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{name} is required (REQUIRE_SERVICES=1) but {why}", pytrace=False)
    pytest.skip(f"{name} is not available here: {why}")


# --- personas ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolate(settings, tmp_path):
    """Each test gets its own private-file and outbox folders and an empty cache and SMS outbox."""
    from django.core.cache import cache

    from notifications.backends.sms import LocmemSmsBackend

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    from django.utils import translation

    from common import tasking

    LocmemSmsBackend.outbox.clear()
    cache.clear()
    # A broker one test took for down is not down for the next.
    tasking._publish_paused_until.clear()
    # LocaleMiddleware leaves the last request's language active in this thread: start each test
    # in Russian, as a visitor without a language cookie would.
    translation.activate("ru")
    yield
    translation.activate("ru")
    cache.clear()


def _is_transactional(request) -> bool:
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        return True
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.fixture(autouse=True)
def _data_migration_rows(request):
    """Transactional tests (live server, worker, races on real connections) flush the database when
    they end, and a flush keeps permissions (re-created on post_migrate) but not rows written by data
    migrations. Put the staff groups, rejection reasons and the service catalogue back for each."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps as global_apps

    from oms_policy.services import reference_data_ensure

    staff_groups = importlib.import_module("accounts.migrations.0002_staff_groups")
    review_roles = importlib.import_module("oms_policy.migrations.0004_review_roles")
    catalogue = importlib.import_module("oms_policy.migrations.0004_journey_service")
    # These helpers only call apps.get_model, so the real registry does.
    review_roles.groups_apply(global_apps, staff_groups.GROUP_PERMISSIONS)
    review_roles.groups_apply(global_apps, review_roles.GROUP_PERMISSIONS)
    rejection_reason = global_apps.get_model("oms_policy", "RejectionReason")
    for code, text, subject, position in review_roles.REJECTION_REASONS:
        rejection_reason.objects.get_or_create(
            code=code, defaults={"text": text, "subject": subject, "position": position}
        )
    catalogue.services_create(global_apps, None)
    reference_data_ensure()


@pytest.fixture
def sms_outbox():
    from notifications.backends.sms import LocmemSmsBackend

    return LocmemSmsBackend.outbox


@pytest.fixture
def citizen(db):
    from accounts.tests.factories import CitizenFactory

    return CitizenFactory(last_name="Иванова", first_name="Анна", patronymic="Сергеевна")


@pytest.fixture
def other_citizen(db):
    from accounts.tests.factories import CitizenFactory

    return CitizenFactory(last_name="Петров", first_name="Пётр", patronymic="Петрович")


@pytest.fixture
def reviewer(db):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    return StaffFactory(groups=[StaffGroup.REVIEWERS])


@pytest.fixture
def support(db):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    return StaffFactory(groups=[StaffGroup.SUPPORT])


@pytest.fixture
def verifier(db):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    return StaffFactory(groups=[StaffGroup.VERIFIERS])


@pytest.fixture
def admin(db):
    from accounts.tests.factories import StaffFactory

    return StaffFactory(is_superuser=True)


# --- real services -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = settings.REDIS_URL
    if not url:
        service_missing("Redis", "REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        service_missing("Redis", f"{url} does not answer: {error}")
    return url


@pytest.fixture
def postgres(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("PostgreSQL", f"DATABASE_URL points at {connection.vendor}, not PostgreSQL")
    return connection


def _database_url_for_subprocess() -> str:
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or ""
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{config['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, redis_url, tmp_path, settings):
    """A real `celery worker` process on the Redis broker, sharing the test database; stopped after.

    Yields the outbox folder the worker writes SMS and e-mail to.
    """
    from portal.celery import app

    outbox = tmp_path / "worker-outbox"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "TEST_SMS_BACKEND": "notifications.backends.sms.OutboxSmsBackend",
        "TEST_OUTBOX_DIR": str(outbox),
    }
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    settings.OUTBOX_DIR = outbox
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1)
            if replies:
                break
            if process.poll() is not None:
                pytest.fail(f"celery worker exited: {process.stdout.read()}")
        else:
            pytest.fail("celery worker did not answer a ping within 60 s")
        yield outbox
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        service_missing("Chromium", "no chromium executable (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # body are still synchronous, so allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.live_server_url = live_server.url
    yield page
    context.close()
