"""Settings shared by every deployment.

Everything is read from the environment with a safe local default, so that a fresh clone runs on
the embedded default (SQLite, no broker, console/file outbox). ``production.py`` only hardens.
See README.md («Настройки») for the table of variables and .env.example for a template.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .envvars import env, env_bool, env_database, env_int, env_list, env_redis, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Local default only; production.py requires a real one.
SECRET_KEY = env_str("SECRET_KEY", "local-insecure-key-do-not-use-in-production-3k9f0s8d7f6g5h4j3k2l1")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "phonenumber_field",
    "portal",
    "accounts",
    "oms_policy",
    "documents",
    "notifications",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The service worker and the manifest are fetched by the browser itself: no session for them.
    "portal.middleware.SessionlessPathsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Ends sessions past the 12-hour cap or started before «выйти на всех устройствах».
    "accounts.middleware.SessionLimitsMiddleware",
    # axes must be last: it turns lock-outs raised by the authentication backend into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            # `{% url %}` and `|date` made cheaper, same output (portal/templatetags/url_cached.py, date_fast.py).
            "builtins": ["portal.templatetags.url_cached", "portal.templatetags.date_fast"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker; absent = embedded default --------------------------------
REDIS_URL = env_redis("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "oms",
        }
    }
else:
    # One process serves the embedded default, so an in-memory cache is a faithful stand-in.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "oms"}}
# The page chrome's fragments ({% cache … using="fragments" %} in base.html and its includes): the
# same for every citizen in one language, so each process keeps its own copy — a Redis round trip
# would cost more than drawing them. Cleared when a setting changes (portal/apps.py).
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# --- Celery (read by portal/celery.py through the CELERY_ namespace) --------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker the same task code runs in-process; callers enqueue after commit, so the
# task sees committed rows either way (docs/decisions/0002-tasks-without-a-broker.md).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_RESULT_EXPIRES = 3600
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # only idempotent tasks opt in, per task
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage must not hang a citizen's request: publish gives up quickly and the periodic
# sweep (beat) picks up whatever was left pending in the database.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# After a failed publish a process leaves its tasks to the sweeps this long without trying the broker
# (common/tasking.py): during an outage no commit waits for the time-outs above again and again.
TASK_PUBLISH_PAUSE_SECONDS = env_int("TASK_PUBLISH_PAUSE_SECONDS", 10)
CELERY_TIMEZONE = "Europe/Moscow"
CELERY_BEAT_SCHEDULE = {
    "portal-heartbeat": {"task": "portal.tasks.heartbeat_task", "schedule": 60.0},
    "notifications-deliver-pending": {
        "task": "notifications.tasks.outbound_deliver_pending_task",
        "schedule": 60.0,
    },
    "accounts-identity-video-purge": {"task": "accounts.tasks.identity_video_purge_task", "schedule": 3600.0},
}

# --- Authentication -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.LoginBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cabinet"
LOGOUT_REDIRECT_URL = "home"

# Sessions: 30 minutes idle, 12 hours absolute (the absolute cap is enforced by accounts).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60, minimum=60)
# The idle expiry moves forward when the session is saved: accounts.middleware.SessionRefreshMiddleware
# saves it once SESSION_REFRESH_SECONDS have passed since the last save, not on every request (a
# database write and commit per page cost a third of a page's throughput: docs/benchmarks.md).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: lock by username + IP; reset on success.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_ENABLED = env_bool("AXES_ENABLED", True)

PHONENUMBER_DEFAULT_REGION = "RU"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

OTP_TOTP_ISSUER = "Портал ОМС"

# --- Internationalisation: Russian first, English second ---------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Русский")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

# --- Static and private files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
# Uploads (passport scans, verification videos) are personal data: they live outside any public
# URL and are served only through views that check who is asking.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_STORAGE_ROOT
MEDIA_URL = "/no-public-media/"  # never routed; files are served by permission-checking views
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
if STORAGE_BACKEND not in {"local", "s3"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"STORAGE_BACKEND: expected 'local' or 's3', got {STORAGE_BACKEND!r}.")
if STORAGE_BACKEND == "s3":
    PRIVATE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET", required=True),
            "endpoint_url": env_str("S3_ENDPOINT_URL", required=True),
            "access_key": env_str("S3_ACCESS_KEY", required=True),
            "secret_key": env_str("S3_SECRET_KEY", required=True),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
        },
    }
else:
    PRIVATE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    }
STORAGES = {
    "default": PRIVATE_STORAGE,
    "private": PRIVATE_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Messages out: e-mail and SMS -------------------------------------------------------------
OUTBOX_DIR = Path(env_str("OUTBOX_DIR", str(VAR_DIR / "outbox")))
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "notifications.backends.email.OutboxEmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Портал ОМС <no-reply@oms.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.backends.sms.OutboxSmsBackend")
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN", "")
SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 5, minimum=1)
# The outbox page (/dev/outbox/) exists only while DEBUG is on: it shows codes sent by "SMS".
SHOW_DEV_OUTBOX = DEBUG

# --- Portal facts shown to people ---------------------------------------------------------------
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")
HOTLINE_PHONE = env_str("HOTLINE_PHONE", "8 800 100-70-10")
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "support@oms.localhost")

# --- Logging: to stdout, never personal data (accounts.services.audit_record keeps the audit log) --
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- SMS sending limits (accounts.security.sms_limits) ---------------------------------------------------
SMS_LIMIT_PER_PHONE_PER_HOUR = env_int("SMS_LIMIT_PER_PHONE_PER_HOUR", 10, minimum=1)
SMS_LIMIT_PER_IP_PER_HOUR = env_int("SMS_LIMIT_PER_IP_PER_HOUR", 20, minimum=1)
SMS_LIMIT_PER_DAY = env_int("SMS_LIMIT_PER_DAY", 10000, minimum=1)

# --- accounts: login and second factors ----------------------------------------------------------
# Second factors (accounts.security.second_factor): SMS codes, TOTP apps, backup codes.
SMS_CODE_VALID_SECONDS = 10 * 60
SMS_CODE_MAX_FAILURES = 5  # wrong tries per code; the next try is refused even with the right code
SMS_CODE_RESEND_SECONDS = 60
BACKUP_CODES_COUNT = 10
# django-otp's own TOTP back-off (1, 2, 4 … s, growing without bound) is replaced by the per-account
# limit below, which also covers SMS and backup codes and resets on success.
OTP_TOTP_THROTTLE_FACTOR = 0
# Per account, across every factor: this many wrong codes in the window lock the second factor.
SECOND_FACTOR_FAILURE_LIMIT = env_int("SECOND_FACTOR_FAILURE_LIMIT", 10, minimum=1)
SECOND_FACTOR_FAILURE_WINDOW_SECONDS = 15 * 60
# Between the password step and the second factor (the pending login lives in the session).
LOGIN_PENDING_SECONDS = 10 * 60
# Re-entering the password opens the «Безопасность» page for this long.
REAUTH_VALID_SECONDS = 5 * 60
# The session-timeout dialog (WCAG 2.2.1) warns this many seconds before the idle timeout.
SESSION_TIMEOUT_WARNING_SECONDS = env_int("SESSION_TIMEOUT_WARNING_SECONDS", 120, minimum=10)
# Long-lived random cookie that recognises a browser (its sha256 lives in accounts.KnownDevice).
KNOWN_DEVICE_COOKIE_NAME = "oms_device"
KNOWN_DEVICE_COOKIE_AGE = 400 * 24 * 60 * 60
NOT_ME_LINK_MAX_AGE = 24 * 60 * 60
PASSWORD_RESET_TIMEOUT = 60 * 60
# django-axes: the cool-off grows with each lock-out of the same login within a day (15 min, 1 h, 6 h),
# and the login is normalised so "+7 916…", "8916…" and the e-mail of one account count together.
AXES_COOLOFF_TIME = "accounts.login.lockout.axes_cool_off"
AXES_USERNAME_CALLABLE = "accounts.login.lockout.axes_username"
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field (axes would default to USERNAME_FIELD, "email")
AXES_LOCKOUT_CALLABLE = "accounts.login.lockout.axes_lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client's address behind PROXY_COUNT trusted proxies (django-ipware is not installed, so the
# AXES_IPWARE_* settings alone would be ignored and every citizen would share the proxy's address).
AXES_CLIENT_IP_CALLABLE = "accounts.login.lockout.client_ip"

# --- accounts: registration and contacts -----------------------------------------------------
# SMS codes for registration and a change of phone follow the login codes' rules above
# (SMS_CODE_VALID_SECONDS, SMS_CODE_MAX_FAILURES, SMS_CODE_RESEND_SECONDS). E-mail links:
CONTACT_EMAIL_LINK_MAX_AGE = env_int("CONTACT_EMAIL_LINK_MAX_AGE", 48 * 60 * 60, minimum=60 * 60)
# A registration started but not finished (code not entered) is forgotten after this long.
REGISTRATION_PENDING_SECONDS = 60 * 60
# Only tests turn this on: lets HttpSmsBackend talk plain http:// to a gateway on 127.0.0.1.
SMS_HTTP_ALLOW_INSECURE_LOCALHOST = False

# --- accounts: identity verification and staff ------------------------------------------------
# A selfie video with the open passport: at most this many bytes (50 MB), webm or mp4 only.
IDENTITY_VIDEO_MAX_BYTES = env_int("IDENTITY_VIDEO_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
# Videos are personal data kept only as long as a dispute about the decision is plausible.
IDENTITY_VIDEO_RETENTION_DAYS = env_int("IDENTITY_VIDEO_RETENTION_DAYS", 30, minimum=1)

# --- uploads: every file is cut off while streaming once it passes this size (documents.uploads) --
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", IDENTITY_VIDEO_MAX_BYTES, minimum=1024)
FILE_UPLOAD_HANDLERS = [
    "documents.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- journey: the policy-update request ---------------------------------------------------------
# A decision is due this many working days (oms_policy.calendar) after the request is sent.
REVIEW_PERIOD_WORKING_DAYS = env_int("REVIEW_PERIOD_WORKING_DAYS", 5, minimum=1)
# The request page asks for its status this often while it is open (the status can change).
REQUEST_STATUS_POLL_SECONDS = env_int("REQUEST_STATUS_POLL_SECONDS", 20, minimum=5)
# --- documents: uploads, scan checks, private storage -------------------------------------------
# One scan at most this size (checked while it streams in, documents.uploads.DocumentUploadHandler),
# all the scans of one request at most DOCUMENT_REQUEST_MAX_BYTES, and so many files per slot.
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DOCUMENT_REQUEST_MAX_BYTES = env_int("DOCUMENT_REQUEST_MAX_BYTES", 60 * 1024 * 1024, minimum=1024)
DOCUMENT_MAX_FILES_PER_SLOT = env_int("DOCUMENT_MAX_FILES_PER_SLOT", 5, minimum=1)
# Pillow refuses larger images (a decompression bomb is an error, not a warning); PDFs: pages.
DOCUMENT_MAX_PIXELS = env_int("DOCUMENT_MAX_PIXELS", 40_000_000, minimum=10_000)
DOCUMENT_PDF_MAX_PAGES = env_int("DOCUMENT_PDF_MAX_PAGES", 10, minimum=1)
# A passport page is 88 mm wide: at 150 dpi that is 520 px on the short side.
DOCUMENT_MIN_SHORT_SIDE_PX = env_int("DOCUMENT_MIN_SHORT_SIDE_PX", 520, minimum=1)
# Scans of decided requests are deleted this many days after the decision (152-FZ, art. 5 p. 7).
DOCUMENT_RETENTION_DAYS = env_int("DOCUMENT_RETENTION_DAYS", 90, minimum=1)
# Antivirus: "none" (default), or "clamd" (ClamAV's daemon at CLAMD_ADDRESS: tcp://host:3310 or
# unix:///run/clamav/clamd.ctl). With clamd a scan stays «проверяется» until the daemon says OK.
DOCUMENT_ANTIVIRUS = env_str("DOCUMENT_ANTIVIRUS", "none")
if DOCUMENT_ANTIVIRUS not in {"none", "clamd"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DOCUMENT_ANTIVIRUS: expected 'none' or 'clamd', got {DOCUMENT_ANTIVIRUS!r}.")
CLAMD_ADDRESS = env_str("CLAMD_ADDRESS", "tcp://127.0.0.1:3310")
CLAMD_TIMEOUT_SECONDS = env_int("CLAMD_TIMEOUT_SECONDS", 30, minimum=1)
# Serving: with a prefix set (e.g. /protected-documents/, an nginx `internal` location aliased to
# PRIVATE_STORAGE_ROOT) the view only checks who asks and nginx sends the bytes (X-Accel-Redirect).
DOCUMENT_X_ACCEL_PREFIX = env_str("DOCUMENT_X_ACCEL_PREFIX", "")
CELERY_BEAT_SCHEDULE["documents-retention-purge"] = {
    "task": "documents.tasks.documents_retention_purge_task",
    "schedule": 6 * 3600.0,
}
CELERY_BEAT_SCHEDULE["documents-scan-check-resume"] = {
    "task": "documents.tasks.documents_scan_check_resume_task",
    "schedule": 300.0,
}
# --- review (issue 9) ---------------------------------------------------------------------------
# A submitted request should be decided within this many working days (Mon–Fri; public holidays are
# not counted yet). Past it the request is flagged «просрочена» in the reviewers' queue.
REVIEW_PERIOD_WORKING_DAYS = env_int("REVIEW_PERIOD_WORKING_DAYS", 5, minimum=1)
# Default deadline the reviewer offers the citizen for requested documents, in calendar days.
REVIEW_DOCUMENTS_DEADLINE_DAYS = env_int("REVIEW_DOCUMENTS_DEADLINE_DAYS", 14, minimum=1)
# --- the electronic policy (oms_policy.policy_pdf, oms_policy.signing) ------------------------------
# The portal signs every policy PDF (PAdES). Production names a PEM key and certificate issued to the
# portal (production.py requires both files); locally `manage.py seed_demo` makes a self-signed pair.
POLICY_SIGNING_KEY = env_str("POLICY_SIGNING_KEY", str(VAR_DIR / "policy-signing" / "demo-key.pem"))
POLICY_SIGNING_CERT = env_str("POLICY_SIGNING_CERT", str(VAR_DIR / "policy-signing" / "demo-cert.pem"))
POLICY_SIGNING_KEY_PASSPHRASE = env_str("POLICY_SIGNING_KEY_PASSPHRASE", "")
# Make the demo pair on first use when it is missing (never in production).
POLICY_SIGNING_DEMO_CREATE = env_bool("POLICY_SIGNING_DEMO_CREATE", True)
# Approved requests with no policy this long after the decision are issued again by the beat sweep
# (the task was lost: broker down at commit time, or a worker died).
POLICY_ISSUE_SWEEP_AFTER_SECONDS = env_int("POLICY_ISSUE_SWEEP_AFTER_SECONDS", 120, minimum=0)
CELERY_BEAT_SCHEDULE["oms-policy-issue-pending"] = {
    "task": "oms_policy.tasks.policy_issue_pending_task",
    "schedule": 300.0,
}
# A message taken by a worker that died is given to another after this long (kombu's Redis transport
# default is an hour). It must exceed the longest task time limit, or a slow task runs twice.
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
# The public verification page (from the QR code): at most this many look-ups per address per minute.
POLICY_VERIFY_LIMIT_PER_MINUTE = env_int("POLICY_VERIFY_LIMIT_PER_MINUTE", 30, minimum=1)
# A worker renders and signs one throw-away PDF before taking tasks (oms_policy.tasks._warm_up).
POLICY_WORKER_WARM_UP = True
# --- notify: request journey reminders and deadlines ---------------------------------------------
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE.update(
    {
        # Reminders go out in the daytime (Moscow time), hourly so a missed run is made up; each is
        # sent once (dedupe keys), however often the task runs.
        "oms_policy-documents-reminders": {
            "task": "oms_policy.tasks.policy_request_reminders_send_task",
            "schedule": crontab(minute=0, hour="9-20"),
        },
        "oms_policy-documents-expire": {
            "task": "oms_policy.tasks.policy_request_deadlines_expire_task",
            "schedule": crontab(minute=5),
        },
    }
)
# --- support: online chat with operators (support app) ----------------------------------------
# Operators answer the chat in these hours, Moscow time ("HH:MM-HH:MM"), on these ISO weekdays
# (1 = Monday … 7 = Sunday). Outside them the chat still takes messages and says when operators are back.
SUPPORT_HOURS = env_str("SUPPORT_HOURS", "09:00-21:00")
SUPPORT_DAYS = env_list("SUPPORT_DAYS", ["1", "2", "3", "4", "5", "6", "7"])
# Both are checked at start-up by support.hours.support_hours_check (SupportConfig.ready).
SUPPORT_MESSAGE_MAX_LENGTH = env_int("SUPPORT_MESSAGE_MAX_LENGTH", 2000, minimum=100)
# Per citizen: this many messages in a minute, then the chat asks them to wait (the window is fixed).
SUPPORT_MESSAGES_PER_MINUTE = env_int("SUPPORT_MESSAGES_PER_MINUTE", 10, minimum=1)
# How often the chat pages ask for new messages.
SUPPORT_POLL_SECONDS = env_int("SUPPORT_POLL_SECONDS", 2, minimum=1)
# A citizen whose chat page asked for messages this recently is reading it: no e-mail/SMS for a reply.
SUPPORT_CITIZEN_PRESENT_SECONDS = 30
# --- accounts hardening (issue 6) ---------------------------------------------------------------
# SMS budgets (accounts.security.sms_limits): login/second-factor codes have their own, so registrations with
# a stranger's number can't use up the owner's login codes.
SMS_LOGIN_LIMIT_PER_PHONE_PER_HOUR = env_int("SMS_LOGIN_LIMIT_PER_PHONE_PER_HOUR", 10, minimum=1)
SMS_LOGIN_LIMIT_PER_DAY = env_int("SMS_LOGIN_LIMIT_PER_DAY", 20000, minimum=1)
# Codes to unproved numbers, per number range: the number without its last N digits.
SMS_LIMIT_PER_PREFIX_PER_HOUR = env_int("SMS_LIMIT_PER_PREFIX_PER_HOUR", 30, minimum=1)
SMS_PREFIX_FREE_DIGITS = env_int("SMS_PREFIX_FREE_DIGITS", 4, minimum=1)
# Phone regions (ISO 3166 codes as libphonenumber names them) the portal serves and sends SMS to.
SMS_ALLOWED_PHONE_REGIONS = env_list("SMS_ALLOWED_PHONE_REGIONS", ["RU"])
# Password guessing across addresses (accounts.login.lockout.account_guessing_*): wrong passwords and
# backup codes for one login from any address; browsers the account used before are let through.
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 20, minimum=1)
LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS = env_int("LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS", 60 * 60, minimum=60)
# Password-reset e-mails (accounts.login.password_reset): requests per address, links per account.
PASSWORD_RESET_LIMIT_PER_IP_PER_HOUR = env_int("PASSWORD_RESET_LIMIT_PER_IP_PER_HOUR", 10, minimum=1)
PASSWORD_RESET_LIMIT_PER_ACCOUNT_PER_HOUR = env_int("PASSWORD_RESET_LIMIT_PER_ACCOUNT_PER_HOUR", 3, minimum=1)
# Whole request bodies (accounts.middleware.RequestSizeLimitMiddleware): anonymous visitors never
# upload files; a logged-in citizen sends at most one video with its form.
ANONYMOUS_REQUEST_MAX_BYTES = env_int("ANONYMOUS_REQUEST_MAX_BYTES", 1024 * 1024, minimum=64 * 1024)
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", UPLOAD_MAX_BYTES + 1024 * 1024, minimum=64 * 1024)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1, "accounts.middleware.RequestSizeLimitMiddleware"
)
# Security headers. Content-Security-Policy (django-csp): scripts and styles only from this origin
# or with the per-response nonce (templates: <script nonce="{{ request.csp_nonce }}">), never inline
# attributes; blob: media for the identity video's preview before it is sent; data: images for the
# policy's QR code on «Мой полис» (it is drawn into the page, which also works offline).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the QR code of «Мой полис», drawn into the page (it must work offline).
        "img-src": [SELF, "data:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "display-capture=(), interest-cohort=()"
)
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("accounts.middleware.RequestSizeLimitMiddleware") + 1, "accounts.middleware.PrivatePagesMiddleware"
)
INSTALLED_APPS.append("csp")
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Expired sessions are deleted by beat (Django never deletes them itself).
CELERY_BEAT_SCHEDULE["accounts-sessions-clear-expired"] = {
    "task": "accounts.tasks.sessions_clear_expired_task",
    "schedule": 24 * 3600.0,
}
# Field encryption (accounts.security.crypto): Fernet keys, newest first, comma-separated. Without them one
# key is derived from SECRET_KEY (demo); production sets its own (python -c "from cryptography.fernet
# import Fernet; print(Fernet.generate_key().decode())").
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
# Links in e-mails and SMS: without PORTAL_BASE_URL they follow the address the demo serves on
# (HOST and PORT, as `make run` and the Procfile use them), not a fixed port 8000.
if not env_str("PORTAL_BASE_URL", ""):
    PORTAL_BASE_URL = f"http://{env_str('HOST', '127.0.0.1')}:{env_int('PORT', 8000, minimum=1)}"
# --- benchmarks ---------------------------------------------------------------------------------
# The floor pages of `make bench` (bench/views.py: a bare view and a logged-in 5 KB page) are routed
# only while this is on. `make bench` turns it on for its own servers; it is off everywhere else.
BENCH_FLOOR_ENABLED = env_bool("BENCH_FLOOR_ENABLED", False)
