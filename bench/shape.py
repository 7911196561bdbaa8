"""The production shape for benchmarks and the load test: gunicorn (sync workers), a Celery worker,
PostgreSQL and Redis from DATABASE_URL / REDIS_URL — started here, stopped here.

`ProductionShape` is a context manager: it prepares the database (created when missing, migrated),
collects static files, starts the processes on free loopback ports and stops every one of them
(their whole process groups) when the block ends, whatever happened inside.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oms_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
HOST = "127.0.0.1"
# Every request says it came through the TLS proxy, as in production (SECURE_SSL_REDIRECT is on).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def database_ensure(url: str) -> None:
    """Create the database named in `url` when it does not exist (a fresh clone's first run)."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def production_env(*, database_url: str, redis_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `portal.settings.production` needs, with a fresh SECRET_KEY for this run."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VAR_DIR": str(VAR),
        "STATIC_ROOT": str(VAR / "static"),
        "PRIVATE_STORAGE_ROOT": str(VAR / "private"),
        "OUTBOX_DIR": str(VAR / "outbox"),
        # Production refuses the demo backends; nothing is sent during a benchmark (no GET sends).
        "SMS_BACKEND": "notifications.backends.sms.HttpSmsBackend",
        "SMS_HTTP_URL": "https://sms.invalid/send",
        "SMS_HTTP_TOKEN": "bench",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        # A demo signing pair made for the benchmarks (production refuses to start without one).
        "POLICY_SIGNING_KEY": str(VAR / "signing" / "key.pem"),
        "POLICY_SIGNING_CERT": str(VAR / "signing" / "cert.pem"),
        "BENCH_FLOOR_ENABLED": "1",
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def http_get(port: int, path: str, *, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
    connection = HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={**PROXY_HEADERS, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class ProductionShape:
    """gunicorn for the portal, a second gunicorn for the floor (stock Django), a Celery worker."""

    workers: int = int(os.environ.get("BENCH_WORKERS", "2"))
    database_url: str = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url: str = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    with_floor: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    portal_env: dict[str, str] = field(default_factory=dict)  # the portal's gunicorn only (before/after)
    servers: dict[str, Server] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> ProductionShape:
        VAR.mkdir(parents=True, exist_ok=True)
        self.env = production_env(database_url=self.database_url, redis_url=self.redis_url, extra=self.extra_env)
        from oms_policy.signing import signing_demo_pair_ensure

        signing_demo_pair_ensure(
            key_path=Path(self.env["POLICY_SIGNING_KEY"]), cert_path=Path(self.env["POLICY_SIGNING_CERT"])
        )
        database_ensure(self.database_url)
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        try:
            self.servers["portal"] = self._gunicorn("portal", "portal.settings.production")
            if self.with_floor:
                self.servers["floor"] = self._gunicorn("floor", "bench.settings_floor")
            self.processes.append(self._spawn("worker", self._celery_worker_args(), self.env))
            for server in self.servers.values():
                self._wait_ready(server)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- processes ------------------------------------------------------------------------------

    def manage(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            text=True,
            stdout=subprocess.PIPE if capture else None,
        )
        return result.stdout or ""

    def python_json(self, module: str, *args: str) -> dict:
        """Run `python -m module args` in the shape's environment; its last stdout line is JSON."""
        result = subprocess.run(
            [sys.executable, "-m", module, *args], cwd=ROOT, env=self.env, check=True, text=True, stdout=subprocess.PIPE
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(VAR / f"{name}.log", "w")  # noqa: SIM115 - closed with the process (child keeps it)
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return process

    def _gunicorn(self, name: str, settings_module: str) -> Server:
        port = free_port()
        env = {**self.env, "DJANGO_SETTINGS_MODULE": settings_module, **(self.portal_env if name == "portal" else {})}
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--forwarded-allow-ips",
            HOST,
        ]
        process = self._spawn(f"gunicorn-{name}", args, env)
        self.processes.append(process)
        return Server(name=name, port=port, process=process)

    def _celery_worker_args(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-{os.getpid()}@%h",
        ]

    def _wait_ready(self, server: Server, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                log = (VAR / f"gunicorn-{server.name}.log").read_text()[-3000:]
                raise RuntimeError(f"gunicorn ({server.name}) exited:\n{log}")
            try:
                status, _ = http_get(server.port, "/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({server.name}) did not answer /healthz within {timeout:.0f} s")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
