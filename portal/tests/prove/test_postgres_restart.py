"""PostgreSQL restarted under a load of page views. The test starts its OWN PostgreSQL cluster (the
machine's shared one is never touched), migrates into it, serves the portal from gunicorn on it,
stops the database while a thread keeps loading pages, and starts it again: /readyz answers 503
naming the database while it is down, and the same gunicorn process — never restarted — answers
pages and /readyz again once it is back (CONN_HEALTH_CHECKS drops the dead persistent connection)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = pytest.mark.postgres
PAGE_UP = 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*command: str) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class OwnPostgres:
    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.fail(f"PostgreSQL 15 binaries are missing in {PG_BIN}", pytrace=False)
        self.root = Path(tempfile.mkdtemp(prefix="oms-own-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = _free_port()
        subprocess.run(
            _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"),
            capture_output=True,
            timeout=60,
        )

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


def test_postgres_restart_readyz_503_then_recovers_without_restarting_the_portal(redis_url, tmp_path):
    database = OwnPostgres()
    server = None
    try:
        database.start()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": database.url,
            "REDIS_URL": redis_url,
            "POLICY_VERIFY_LIMIT_PER_MINUTE": "100000",
            "DATABASE_CONN_MAX_AGE": "600",  # persistent connections: the ones the restart kills
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "gunicorn.log").open("w"),
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        # A public page that reads the database: an unknown policy is «Документ не найден» (404).
        page = f"{base}/verify/{uuid.uuid4()}/"
        _wait_for(lambda: _get(f"{base}/readyz") == 200, 60, "the portal is ready")
        assert _get(page) == PAGE_UP

        # A steady load of page views through the whole outage.
        statuses: list[int] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                statuses.append(_get(page))
                time.sleep(0.05)

        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(1)
        database.stop()
        _wait_for(lambda: _get(f"{base}/readyz") == 503, 30, "/readyz says 503 while the database is down")
        try:
            urllib.request.urlopen(f"{base}/readyz", timeout=5)
        except urllib.error.HTTPError as error:
            assert b'"failing": ["database"]' in error.read()
        assert server.poll() is None
        time.sleep(1)
        database.start()
        _wait_for(lambda: _get(f"{base}/readyz") == 200, 60, "/readyz is 200 again after the database is back")
        _wait_for(lambda: _get(page) == PAGE_UP, 30, "pages are served again")
        time.sleep(1)
        stop.set()
        loader.join(timeout=30)

        assert server.poll() is None  # the same process: never restarted
        assert 0 not in statuses  # the server itself never stopped answering
        assert set(statuses) <= {PAGE_UP, 500, 503}
        assert {500, 503} & set(statuses)  # the load did run into the outage
        assert statuses[-5:] == [PAGE_UP] * 5  # recovered by itself
        assert statuses.count(PAGE_UP) > 10
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        database.remove()
