"""`make serve`'s process set for real: gunicorn, a Celery worker and beat under honcho, on
PostgreSQL and Redis with portal.settings.production. Started by the test, stopped after."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import BASE_DIR, _database_url_for_subprocess

pytestmark = [pytest.mark.worker]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def production_processes(transactional_db, redis_url, postgres, tmp_path):
    port = _free_port()
    log_path = tmp_path / "honcho.log"
    from oms_policy.signing import signing_demo_pair_ensure

    signing_key, signing_cert = tmp_path / "signing" / "key.pem", tmp_path / "signing" / "cert.pem"
    signing_demo_pair_ensure(key_path=signing_key, cert_path=signing_cert)
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": _database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "SECURE_SSL_REDIRECT": "0",
        "SMS_BACKEND": "notifications.backends.sms.HttpSmsBackend",
        "SMS_HTTP_URL": "https://sms.example.ru/send",
        "SMS_HTTP_TOKEN": "test-token",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "CELERY_CONCURRENCY": "1",
        "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "VAR_DIR": str(tmp_path / "var"),
        "POLICY_SIGNING_KEY": str(signing_key),
        "POLICY_SIGNING_CERT": str(signing_cert),
    }
    honcho = Path(BASE_DIR) / ".venv" / "bin" / "honcho"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(honcho), "start", "-f", "Procfile"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_for(predicate, timeout: float, what: str, log_path: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"{what} within {timeout} s; honcho log:\n{log_path.read_text()[-4000:]}")


def test_make_serve_processes_answer_and_run_tasks(production_processes):
    base_url, log_path = production_processes

    def ready():
        try:
            return _get(base_url + "/readyz")
        except OSError:
            return None

    status, body = _wait_for(ready, 60, "gunicorn did not answer /readyz", log_path)
    assert status == 200, body
    assert json.loads(body)["checks"] == {"database": "ok", "broker": "ok"}

    # The worker started by the Procfile (not one started by the test) runs a task sent through Redis.
    from portal.celery import app
    from portal.tasks import heartbeat_task

    app.conf.task_always_eager = False
    try:
        result = heartbeat_task.apply_async(queue="celery")
        assert result.get(timeout=60)
    finally:
        app.conf.task_always_eager = True
    _wait_for(lambda: "beat: Starting" in log_path.read_text(), 30, "celery beat did not start", log_path)
    assert "Traceback" not in log_path.read_text()
