"""Start-up configuration, checked the way an operator meets it: `manage.py check` in a fresh process.

Settings are read once at import, so each case runs in its own subprocess with a clean environment.
The production case proves `check --deploy` is silent; the bad-value cases prove start-up stops
with a message naming the variable, instead of falling back to a default nobody chose.
"""

from __future__ import annotations

import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Variables removed first so the developer's shell (or another test: the browser fixture sets
# DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly rejects) cannot leak in.
SETTINGS_VARIABLES = {
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "SESSION_IDLE_SECONDS",
    "STORAGE_BACKEND",
    "SMS_BACKEND",
    "SMS_HTTP_URL",
    "SMS_HTTP_TOKEN",
    "POLICY_SIGNING_KEY",
    "POLICY_SIGNING_CERT",
    "EMAIL_BACKEND",
}


def _secret_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(60))


def _signing_pair(tmp_path: Path) -> dict[str, str]:
    from oms_policy.signing import signing_demo_pair_ensure

    key, cert = tmp_path / "signing" / "key.pem", tmp_path / "signing" / "cert.pem"
    signing_demo_pair_ensure(key_path=key, cert_path=cert)
    return {"POLICY_SIGNING_KEY": str(key), "POLICY_SIGNING_CERT": str(cert)}


def _production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.update(
        {
            "SECRET_KEY": _secret_key(),
            "ALLOWED_HOSTS": "oms.example.ru",
            # Only parsed, never connected to: the checks below do not open a database connection.
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/oms_h2",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "SMS_BACKEND": "notifications.backends.sms.HttpSmsBackend",
            "SMS_HTTP_URL": "https://sms.example.ru/send",
            "SMS_HTTP_TOKEN": "test-token",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "VAR_DIR": str(tmp_path / "var"),
            **_signing_pair(tmp_path),
        }
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = _manage(["check", "--deploy", "--settings=portal.settings.production"], _production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql2://x"),
        ("REDIS_URL", "http://x"),
        ("DEBUG", "maybe"),
        ("SESSION_IDLE_SECONDS", "abc"),
    ],
)
@pytest.mark.parametrize("settings_module", ["portal.settings.local", "portal.settings.production"])
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, settings_module, variable, value):
    env = _production_env(tmp_path, **{variable: value})

    result = _manage(["check", f"--settings={settings_module}"], env)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable}:" in result.stderr
    assert "System check identified" not in result.stdout


def test_production_without_secret_key_stops_naming_it(tmp_path):
    result = _manage(["check", "--settings=portal.settings.production"], _production_env(tmp_path, SECRET_KEY=None))

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY: the variable is required and is not set." in result.stderr


def test_production_refuses_the_local_development_key(tmp_path):
    env = _production_env(tmp_path, SECRET_KEY="local-insecure-key-do-not-use-in-production-3k9f0s8d7f6g5h4j3k2l1")

    result = _manage(["check", "--settings=portal.settings.production"], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY: use at least 50 random characters in production." in result.stderr


def test_the_embedded_default_starts_with_nothing_set(tmp_path):
    env = _production_env(tmp_path, SECRET_KEY=None, ALLOWED_HOSTS=None, DATABASE_URL=None, REDIS_URL=None)

    result = _manage(["check", "--settings=portal.settings.local"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def _variables_read_by_settings() -> set[str]:
    pattern = re.compile(r'env_(?:str|int|bool|list|database|redis)\(\s*"([A-Z0-9_]+)"')
    names: set[str] = set()
    for path in (BASE_DIR / "portal" / "settings").glob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_variable_the_settings_read_is_documented():
    variables = _variables_read_by_settings()
    env_example = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")

    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG"} <= variables
    assert sorted(name for name in variables if f"# {name}=" not in env_example) == []
    assert sorted(name for name in variables if f"`{name}`" not in readme) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SMS_BACKEND": None}, "SMS_BACKEND: the outbox backend is for the demo"),
        ({"SMS_HTTP_TOKEN": None}, "SMS_HTTP_TOKEN: the SMS provider's token is required."),
        ({"SMS_HTTP_URL": "http://sms.example.ru/send"}, "SMS_HTTP_URL: the SMS provider's https:// address"),
        ({"EMAIL_BACKEND": None}, "EMAIL_BACKEND: the outbox backend is for the demo"),
    ],
)
def test_production_refuses_demo_message_backends(tmp_path, overrides, message):
    """The demo outbox prints codes and phone numbers to the log; production must not start with it."""
    result = _manage(["check", "--settings=portal.settings.production"], _production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert message in result.stderr
