"""Memory of the web process while it takes a 10 MB scan (issue: growth under 20 MB).

Usage (Redis running; the database defaults to a SQLite file under var/):
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/documents_upload_memory.py

Starts gunicorn (one sync worker) on a free port of 127.0.0.1, logs a citizen in, makes a draft request,
and uploads files just under DOCUMENT_MAX_BYTES (a noisy JPEG and a PDF of it) over loopback,
streamed from disk. Before each upload the worker's peak-RSS counter is reset (/proc/PID/clear_refs,
needs Linux and the same user); after it, the peak minus the RSS before is the growth.

Two shapes: with REDIS_URL the scan check is published to the broker (the production shape: the
worker process decodes the image, not the web process; no worker runs here, and the bench empties
Celery's default queue in that Redis database at the end — give it a database of its own); with
--embedded there is no broker and the check runs in the web process after the response (the
`make run` default), for comparison.
Results go to docs/benchmarks.md by hand, with the date and the machine.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 0  # a free port, chosen at start
VAR = ROOT / "var" / "bench-documents"
QUEUE = "celery"  # Celery's default queue: the bench empties it at the end (give it a Redis database of its own)


def proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def worker_pid(master: int) -> int:
    for _ in range(300):
        out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        if out:
            return int(out[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def big_jpeg(limit: int) -> bytes:
    """A noisy JPEG (noise does not compress) just under `limit` bytes."""
    from PIL import Image

    rng = random.Random(8)
    width, height = 2400, 1800
    data = b""
    for _ in range(12):
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=92)
        data = out.getvalue()
        if 0.95 * limit <= len(data) <= limit:
            return data
        height = int(height * (0.975 * limit / len(data)))
    return data


def pdf_of(jpeg: bytes) -> bytes:
    """A one-page PDF that carries the JPEG's bytes as they are (DCTDecode), so it is as big."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    content = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R "
        "/Resources << /XObject << /Im0 5 0 R >> >> >>".encode(),
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB "
        f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode()
        + jpeg
        + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def multipart_upload(path: Path, *, session: str, csrf: str, url_path: str) -> tuple[int, dict]:
    boundary = secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head) + path.stat().st_size + len(tail)

    def body():
        yield head
        with path.open("rb") as handle:
            while chunk := handle.read(64 * 1024):
                yield chunk
        yield tail

    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    connection.putrequest("POST", url_path)
    for name, value in {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(size),
        "Cookie": f"sessionid={session}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "X-Requested-With": "XMLHttpRequest",
        "Accept": "application/json",
        "Referer": f"http://127.0.0.1:{PORT}/",
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    for chunk in body():
        connection.send(chunk)
    response = connection.getresponse()
    raw = response.read()
    try:
        payload = json.loads(raw or b"{}")
    except ValueError:
        payload = {"error": raw[:300].decode("utf-8", "replace")}
    connection.close()
    return response.status, payload


SETUP = """
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from accounts.tests.factories import CitizenFactory
from oms_policy.tests.factories import PolicyRequestFactory
user = CitizenFactory()
draft = PolicyRequestFactory(applicant=user)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "accounts.backends.LoginBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key, draft.pk)
"""


def main() -> None:
    global PORT
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        PORT = probe.getsockname()[1]
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded", action="store_true", help="no broker: the check runs in the web process")
    args = parser.parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "db.sqlite3").unlink(missing_ok=True)  # a fresh database each run
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DEBUG": "0",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{VAR / 'db.sqlite3'}"),
        "PRIVATE_STORAGE_ROOT": str(VAR / "private"),
    }
    if args.embedded:
        env.pop("REDIS_URL", None)
    elif not env.get("REDIS_URL"):
        sys.exit("REDIS_URL is not set (or pass --embedded)")
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup = subprocess.run(
        [python, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    session, request_id = setup.stdout.split()[-2:]
    csrf = secrets.token_hex(16)

    limit = 10 * 1024 * 1024
    jpeg = big_jpeg(limit - 2048)
    files = {"big.jpg": jpeg, "big.pdf": pdf_of(jpeg)}
    small = (ROOT / "documents/tests/samples/good-passport.jpg").read_bytes()
    files["warm.jpg"] = small
    files["warm.pdf"] = (ROOT / "documents/tests/samples/good-passport.pdf").read_bytes()
    for name, data in files.items():
        (VAR / name).write_bytes(data)

    gunicorn = subprocess.Popen(
        [python, "-m", "gunicorn", "portal.wsgi", "-w", "1", "-b", f"127.0.0.1:{PORT}", "--timeout", "120"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(VAR / "gunicorn.log").open("w"),
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        pid = worker_pid(gunicorn.pid)

        def url(slot: str) -> str:
            return f"/documents/upload/{request_id}/{slot}/"

        for name in ("warm.jpg", "warm.pdf", "warm.jpg", "warm.pdf"):
            status, _payload = multipart_upload(VAR / name, session=session, csrf=csrf, url_path=url("reason_document"))
            assert status == 200, (name, status, _payload)
        print(f"shape: {'embedded (check in the web process)' if args.embedded else 'broker (check in the worker)'}")
        print(f"{'file':<10} {'bytes':>10} {'RSS before MB':>14} {'peak MB':>8} {'growth MB':>10}  answer")
        for name, slot in (("big.jpg", "passport_photo"), ("big.pdf", "current_policy")):
            time.sleep(0.5)
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            before = proc_kb(pid, "VmRSS")
            status, payload = multipart_upload(VAR / name, session=session, csrf=csrf, url_path=url(slot))
            time.sleep(0.5 if not args.embedded else 3)
            peak = proc_kb(pid, "VmHWM")
            result = payload.get("results", [{}])[0]
            answer = "stored" if result.get("ok") else result.get("message", status)
            print(
                f"{name:<10} {len(files[name]):>10} {before / 1024:>14.1f} {peak / 1024:>8.1f} "
                f"{(peak - before) / 1024:>10.1f}  {answer}"
            )
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=20)
        if not args.embedded:
            import redis

            redis.Redis.from_url(env["REDIS_URL"]).delete(QUEUE)


if __name__ == "__main__":
    main()
