"""Settings for pytest: the same base, made fast and isolated.

DATABASE_URL picks PostgreSQL (CI) or falls back to SQLite. REDIS_URL, when set, backs the cache
with a Redis database of its own (TEST_REDIS_DB, 15 by default) that the tests flush; Celery stays
eager unless a test starts a real worker (see portal/tests/test_celery_worker.py).
"""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, VAR_DIR
from .envvars import env_bool, env_int, env_str

DEBUG = False
SHOW_DEV_OUTBOX = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A test that starts a worker may point e-mail at the outbox files too (the worker is another process).
EMAIL_BACKEND = env_str("TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# A test that starts a worker points these at files it can read (the worker is another process).
SMS_BACKEND = env_str("TEST_SMS_BACKEND", "notifications.backends.sms.LocmemSmsBackend")
OUTBOX_DIR = Path(env_str("TEST_OUTBOX_DIR", str(VAR_DIR / "test-outbox")))
PRIVATE_STORAGE_ROOT = VAR_DIR / "test-private"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = PRIVATE_STORAGE_ROOT

TEST_REDIS_DB = env_int("TEST_REDIS_DB", 15)
if REDIS_URL:
    parts = urlsplit(REDIS_URL)
    TEST_REDIS_URL = urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", "", ""))
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
            "KEY_PREFIX": "oms-test",
        },
        "fragments": CACHES["fragments"],
    }
else:
    TEST_REDIS_URL = ""
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "fragments": CACHES["fragments"]}

# Tests run tasks in-process unless they start a worker; the broker URL still points at Redis so
# a test that starts a worker talks to the real one.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# SQLite tests use a file, not memory, so that a worker or live server process can share it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
AXES_ENABLED = True

# --- the electronic policy: a pause between writing the PDF and committing, so a test can kill the
# worker there (oms_policy/tests/test_policy_worker.py). Only this settings module defines it.
POLICY_ISSUE_TEST_PAUSE_SECONDS = env_int("TEST_POLICY_ISSUE_PAUSE_SECONDS", 0)
# Test workers start without the PDF warm-up unless a test asks for it (the worker kill test does).
POLICY_WORKER_WARM_UP = env_bool("TEST_POLICY_WORKER_WARM_UP", False)

# --- prove: a pause between the scan check's clean copy and its commit, so a test can kill the
# worker there (portal/tests/prove/test_scan_worker_killed.py). Only this settings module defines it.
SCAN_CHECK_TEST_PAUSE_SECONDS = env_int("TEST_SCAN_CHECK_PAUSE_SECONDS", 0)
# Test workers look for messages of a killed worker every second (kombu's default sweep runs every
# 10 s and scans on every 10th run: a redelivery after a 2 s visibility timeout took up to 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {  # noqa: F405
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
