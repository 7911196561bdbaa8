"""HTTP latency and memory of the production shape (gunicorn + PostgreSQL + Redis) on this machine.

Usage (PostgreSQL and Redis running):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/http_bench.py [--requests 500]

Starts gunicorn with portal.settings.production on 127.0.0.1:8765 (2 workers), sends sequential
requests to a few pages (loopback only), prints p50/p95/max latency and the workers' RSS, then
stops gunicorn. Results go to docs/benchmarks.md by hand, with the date and the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
PATHS = ["/healthz", "/readyz", "/", "/accounts/login/"]


def rss_mb(pid: int) -> float:
    total = 0
    for child in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def get(path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    start = time.perf_counter()
    try:
        connection.request("GET", path, headers={"X-Forwarded-Proto": "https", "Host": "localhost"})
        connection.getresponse().read()
    finally:
        connection.close()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "localhost",
        "STATIC_ROOT": str(ROOT / "var" / "bench" / "static"),
        "SMS_BACKEND": "notifications.backends.sms.HttpSmsBackend",
        "SMS_HTTP_URL": "https://sms.example.ru/send",
        "SMS_HTTP_TOKEN": "bench",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                get("/healthz")
                break
            except OSError:
                time.sleep(0.1)
        print(f"{'path':<20}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        for path in PATHS:
            for _ in range(20):  # warm up
                get(path)
            samples = sorted(get(path) for _ in range(args.requests))
            p95 = samples[int(len(samples) * 0.95) - 1]
            print(f"{path:<20}{len(samples):>6}{statistics.median(samples):>10.2f}{p95:>10.2f}{samples[-1]:>10.2f}")
        print(f"gunicorn master + 2 workers RSS: {rss_mb(server.pid):.0f} MB")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
