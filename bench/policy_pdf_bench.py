"""The electronic policy's speed, in one run (results go to docs/benchmarks.md).

1. PDFs per second: the whole policy task (`policy_issue_task`: locks, policy rows, render, sign, file,
   status change, notification rows) against a bare WeasyPrint loop rendering a reference page (one A4
   page, 40 lines of Cyrillic text, a 10-row table, a QR PNG, the same bundled font). Both run in this
   process, one of each in turn, so that load from other processes on the machine hits both alike.
   Target: task ≥ 0.8 × bare loop.
2. Signing against rendering, per document (medians). Target: signing ≤ 1/5 of rendering.
3. A fresh `celery worker` (solo pool, as many as Procfile's concurrency per process): time from
   publishing the first task to its policy being issued, and the task's own run time. Target < 1 s.
   Then the same worker's throughput over a batch.

Needs PostgreSQL and Redis (a scratch test database is created and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
      .venv/bin/python bench/policy_pdf_bench.py --rounds 5 --per-round 10
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
VAR_DIR = Path(tempfile.mkdtemp(prefix="policy-bench-"))
os.environ["VAR_DIR"] = str(VAR_DIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
os.environ["TEST_POLICY_WORKER_WARM_UP"] = "1"


def reference_html(*, qr_uri: str, font_dir: Path) -> str:
    lines = "\n".join(
        f"<p>{n:02d}. Застрахованное лицо имеет право на бесплатную медицинскую помощь по программе ОМС "
        f"на всей территории Российской Федерации.</p>"
        for n in range(1, 41)
    )
    rows = "\n".join(f"<tr><td>{n}</td><td>Показатель №{n}</td><td>Значение {n * 7}</td></tr>" for n in range(1, 11))
    return f"""<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><style>
      @font-face {{ font-family: "Ref"; src: url("{(font_dir / "DejaVuSans-LatCyr.ttf").as_uri()}"); }}
      @font-face {{ font-family: "Ref"; font-weight: bold;
                    src: url("{(font_dir / "DejaVuSans-Bold-LatCyr.ttf").as_uri()}"); }}
      @page {{ size: A4; margin: 12mm; }}
      html {{ font-family: "Ref"; font-size: 7.5pt; line-height: 1.2; }}
      p {{ margin: 0 0 0.6mm; }} table {{ border-collapse: collapse; width: 100%; margin-top: 2mm; }}
      td {{ border: 0.5pt solid #999; padding: 0.6mm 2mm; }} img {{ width: 30mm; float: right; }}
      </style></head><body><img src="{qr_uri}" alt=""><h1>Справка</h1>{lines}<table>{rows}</table></body></html>"""


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=10)
    parser.add_argument("--worker-batch", type=int, default=20)
    parser.add_argument("--fresh-workers", type=int, default=3, help="fresh workers whose first PDF is timed")
    parser.add_argument("--only-worker", action="store_true", help="skip the in-process comparison")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, timezone=timezone)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def run(args, *, timezone) -> None:
    from weasyprint import HTML

    from accounts.tests.factories import CitizenFactory
    from oms_policy.constants import RequestStatus
    from oms_policy.models import PolicyRequest
    from oms_policy.policy_pdf import FONTS_DIR, content_digest, policy_pdf_render, qr_data_uri
    from oms_policy.policy_services import policy_issue_warm_up
    from oms_policy.services import reference_data_ensure
    from oms_policy.signing import policy_pdf_sign
    from oms_policy.tasks import policy_issue_task
    from oms_policy.tests.factories import PolicyFactory, PolicyRequestFactory

    reference_data_ensure()
    if args.only_worker:
        for line in worker_run(args, approved_requests=lambda count: _approved_requests(count, timezone=timezone)):
            print(line)
        return

    def approved_requests(count: int) -> list[int]:
        ids = []
        for _ in range(count):
            policy = PolicyFactory(holder=CitizenFactory())
            request = PolicyRequestFactory(
                applicant=policy.holder, status=RequestStatus.APPROVED, decided_at=timezone.now()
            )
            ids.append(request.pk)
        return ids

    reference = reference_html(qr_uri=qr_data_uri("https://oms.example.ru/verify/3f1c2a9e/"), font_dir=FONTS_DIR)
    # Warm both paths up (imports, fonts, key) before timing.
    HTML(string=reference).write_pdf()
    policy_issue_warm_up()

    bare_seconds = task_seconds = 0.0
    bare_count = task_count = 0
    for _ in range(args.rounds):
        ids = approved_requests(args.per_round)
        # One bare page, one policy task, in turn: load from other processes hits both alike.
        for request_id in ids:
            started = time.perf_counter()
            HTML(string=reference).write_pdf()
            bare_seconds += time.perf_counter() - started
            bare_count += 1
            started = time.perf_counter()
            policy_issue_task.apply(args=[request_id]).get()
            task_seconds += time.perf_counter() - started
            task_count += 1
    assert PolicyRequest.objects.filter(status=RequestStatus.POLICY_ISSUED).count() == task_count
    bare_rate = bare_count / bare_seconds
    task_rate = task_count / task_seconds

    content = {
        "enp": "8451999122899990",
        "last_name": "Иванова",
        "first_name": "Анна",
        "patronymic": "Сергеевна",
        "sex": "female",
        "birth_date": "1988-07-14",
        "insurance_company_name": "СОГАЗ-Мед",
        "insurance_company_code": "45001",
        "region_name": "г. Москва",
        "region_code": "45",
        "issued_on": "2026-12-01",
        "version": 1,
    }
    document_id = "3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60"
    render_times, sign_times = [], []
    for _ in range(args.rounds * args.per_round):
        started = time.perf_counter()
        pdf = policy_pdf_render(
            content=content,
            document_id=document_id,
            content_sha256=content_digest(document_id=document_id, content=content),
            verify_url=f"https://oms.example.ru/verify/{document_id}/",
        )
        rendered = time.perf_counter()
        policy_pdf_sign(pdf=pdf, document_id=document_id)
        render_times.append(rendered - started)
        sign_times.append(time.perf_counter() - rendered)

    worker = worker_run(args, approved_requests=approved_requests)

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    print(f"machine: {os.cpu_count()} cores ({cpu}), load average {os.getloadavg()[0]:.1f} at the end")
    print(f"bare WeasyPrint loop (reference page): {bare_count} PDFs in {bare_seconds:.2f} s = {bare_rate:.2f} PDF/s")
    print(f"policy task in-process: {task_count} PDFs in {task_seconds:.2f} s = {task_rate:.2f} PDF/s")
    print(f"ratio task / bare: {task_rate / bare_rate:.2f} (target >= 0.8)")
    render_ms, sign_ms = _median_ms(render_times), _median_ms(sign_times)
    print(
        f"render median {render_ms:.0f} ms, sign median {sign_ms:.0f} ms, sign / render {sign_ms / render_ms:.2f} "
        "(target <= 0.20)"
    )
    for line in worker:
        print(line)


def _approved_requests(count: int, *, timezone) -> list[int]:
    from accounts.tests.factories import CitizenFactory
    from oms_policy.constants import RequestStatus
    from oms_policy.tests.factories import PolicyFactory, PolicyRequestFactory

    ids = []
    for _ in range(count):
        policy = PolicyFactory(holder=CitizenFactory())
        ids.append(
            PolicyRequestFactory(applicant=policy.holder, status=RequestStatus.APPROVED, decided_at=timezone.now()).pk
        )
    return ids


def _one_worker(*, queue: str, index: int, env: dict, first_id: int, batch_ids: list[int]) -> dict:
    """Start a fresh worker, time its first policy, then a batch; stop it. Returns the figures."""
    from oms_policy.constants import RequestStatus
    from oms_policy.models import PolicyRequest
    from oms_policy.tasks import policy_issue_task
    from portal.celery import app

    log_path = VAR_DIR / f"worker-{index}.log"
    name = f"{queue}-{index}@{os.uname().nodename}"
    started = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--loglevel=INFO"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue, "-n", name],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def issued(ids: list[int]) -> bool:
        return PolicyRequest.objects.filter(pk__in=ids, status=RequestStatus.POLICY_ISSUED).count() == len(ids)

    try:
        while not app.control.ping(destination=[name], timeout=0.5):
            if time.perf_counter() - started > 120:
                raise RuntimeError("worker did not start")
        ready = time.perf_counter() - started
        published = time.perf_counter()
        policy_issue_task.delay(first_id)
        while not issued([first_id]):
            time.sleep(0.05)
        first_latency = time.perf_counter() - published
        batch_seconds = 0.0
        if batch_ids:
            published = time.perf_counter()
            for request_id in batch_ids:
                policy_issue_task.delay(request_id)
            while not issued(batch_ids):
                time.sleep(0.05)
            batch_seconds = time.perf_counter() - published
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    runtimes = [
        float(value)
        for value in re.findall(r"policy_issue_task\[[^\]]+\] succeeded in ([0-9.]+)s", log_path.read_text())
    ]
    return {"ready": ready, "first": first_latency, "first_run": runtimes[0], "batch": batch_seconds, "runs": runtimes}


def worker_run(args, *, approved_requests) -> list[str]:
    from django.conf import settings
    from django.db import connection

    from portal.celery import app

    config = connection.settings_dict
    database_url = (
        f"postgres://{config['USER']}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"
    )
    queue = f"bench-policy-{os.getpid()}"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL, "VAR_DIR": str(VAR_DIR)}
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    results = []
    for index in range(args.fresh_workers):
        # The first worker also runs the batch; the others only time their first policy.
        batch_ids = approved_requests(args.worker_batch) if index == 0 else []
        results.append(
            _one_worker(queue=queue, index=index, env=env, first_id=approved_requests(1)[0], batch_ids=batch_ids)
        )
    firsts = [result["first"] * 1000 for result in results]
    first_runs = [result["first_run"] * 1000 for result in results]
    batch = results[0]
    return [
        f"fresh workers: ready (answering a ping) {statistics.median(r['ready'] for r in results):.1f} s after start "
        "(median; the warm-up render included)",
        f"first PDF in a fresh worker, publish → «Полис выдан», {len(results)} fresh workers: "
        f"{', '.join(f'{value:.0f}' for value in firsts)} ms (median {statistics.median(firsts):.0f} ms; "
        f"task run {statistics.median(first_runs):.0f} ms) (target < 1 s)",
        f"worker batch: {args.worker_batch} PDFs in {batch['batch']:.2f} s = {args.worker_batch / batch['batch']:.2f} "
        f"PDF/s per worker process (median task run {statistics.median(batch['runs'][1:]) * 1000:.0f} ms)",
    ]


if __name__ == "__main__":
    main()
