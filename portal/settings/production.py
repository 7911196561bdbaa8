"""Production: PostgreSQL, Redis, a real Celery worker and beat, HTTPS behind a proxy.

This module only hardens what base.py reads; it must pass `manage.py check --deploy` with no
warnings. Variables without a safe default are required here and fail start-up by name.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, EMAIL_BACKEND, REDIS_URL, SMS_BACKEND, SMS_HTTP_TOKEN, SMS_HTTP_URL
from .envvars import env_bool, env_int, env_list, env_str

DEBUG = False
SHOW_DEV_OUTBOX = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("local-insecure"):
    raise ImproperlyConfigured("SECRET_KEY: use at least 50 random characters in production.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS: list the host names the portal answers to.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL: production runs on PostgreSQL (postgres://...).")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL: production needs Redis as the Celery broker and cache.")
# The demo backends print one-time codes and full phone numbers to the log: never in production.
if SMS_BACKEND in {"notifications.backends.sms.OutboxSmsBackend", "notifications.backends.sms.LocmemSmsBackend"}:
    raise ImproperlyConfigured(
        "SMS_BACKEND: the outbox backend is for the demo; set notifications.backends.sms.HttpSmsBackend "
        "with SMS_HTTP_URL and SMS_HTTP_TOKEN."
    )
if SMS_BACKEND == "notifications.backends.sms.HttpSmsBackend":
    if not SMS_HTTP_URL.startswith("https://"):
        raise ImproperlyConfigured("SMS_HTTP_URL: the SMS provider's https:// address is required.")
    if not SMS_HTTP_TOKEN:
        raise ImproperlyConfigured("SMS_HTTP_TOKEN: the SMS provider's token is required.")
if EMAIL_BACKEND in {
    "notifications.backends.email.OutboxEmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}:
    raise ImproperlyConfigured(
        "EMAIL_BACKEND: the outbox backend is for the demo; set django.core.mail.backends.smtp.EmailBackend "
        "and EMAIL_HOST."
    )

# TLS terminates at the proxy in front of gunicorn.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

TEMPLATES[0]["OPTIONS"]["loaders"] = [  # noqa: F405
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    ),
]
TEMPLATES[0]["APP_DIRS"] = False  # noqa: F405

# --- the electronic policy: the portal's signing key and certificate (PEM files), never the demo pair ---
POLICY_SIGNING_DEMO_CREATE = False
POLICY_SIGNING_KEY = env_str("POLICY_SIGNING_KEY", required=True)
POLICY_SIGNING_CERT = env_str("POLICY_SIGNING_CERT", required=True)
for _variable, _path in (("POLICY_SIGNING_KEY", POLICY_SIGNING_KEY), ("POLICY_SIGNING_CERT", POLICY_SIGNING_CERT)):
    if not (Path(_path).is_file() and os.access(_path, os.R_OK)):
        raise ImproperlyConfigured(f"{_variable}: no readable PEM file at {_path}.")
