"""One «Отправить заявку» POST in-process: its SQL statements, its wall time, and where the CPU goes.

Runs in the production settings (`portal.settings.production`, the environment bench/shape.py gives
gunicorn) against DATABASE_URL / REDIS_URL, through Django's test client with the full middleware
stack, so the figures are what one gunicorn worker spends per submission minus the HTTP parsing.
Each POST sends its own draft (bench/dataset.py makes them, as for `make bench`). Messages the
POSTs publish stay in REDIS_URL's broker: use a Redis database of your own. On a shared machine
the wall time follows the neighbours; this process's CPU time (process_time) much less so.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_mine REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python -m bench.submission_profile --posts 200 [--queries] [--profile 30]

PROFILE_SORT (a pstats key, default cumulative) and PROFILE_FILTER (a regular expression) shape the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.shape import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, HOST, ROOT, VAR, database_ensure, production_env


def _setup() -> None:
    env = production_env(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        redis_url=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
    )
    VAR.mkdir(parents=True, exist_ok=True)
    from oms_policy.signing import signing_demo_pair_ensure

    signing_demo_pair_ensure(key_path=Path(env["POLICY_SIGNING_KEY"]), cert_path=Path(env["POLICY_SIGNING_CERT"]))
    database_ensure(env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200, help="timed POSTs (after 20 warm-up POSTs)")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one POST")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the first N timed POSTs")
    args = parser.parse_args()
    _setup()

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.dataset import submission_drafts_create
    from oms_policy.models import PolicyRequest

    warm_up = 20
    drafts = submission_drafts_create(count=warm_up + args.posts + 1)
    client = Client(HTTP_HOST=HOST)

    def post(draft: dict):
        client.cookies[settings.SESSION_COOKIE_NAME] = draft["session"]
        response = client.post(
            f"/requests/{draft['request_id']}/submit/",
            {"submit_key": f"profile-{draft['request_id']}"},
            secure=True,
        )
        if response.status_code != 302:
            raise RuntimeError(f"POST answered {response.status_code}")
        return response

    for draft in drafts[:warm_up]:
        post(draft)
    with CaptureQueriesContext(connection) as captured:
        post(drafts[warm_up])
    # Copied now: every request that follows empties the connection's log (request_started).
    queries = list(captured.captured_queries)
    timed = drafts[warm_up + 1 :]
    profiler = cProfile.Profile()
    times, cpu_times = [], []
    for index, draft in enumerate(timed):
        profiling = index < args.profile
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiling:
            profiler.enable()
        post(draft)
        if profiling:
            profiler.disable()
        else:
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
    sent = PolicyRequest.objects.filter(pk__in=[d["request_id"] for d in drafts], status="submitted").count()
    assert sent == len(drafts), f"{sent} of {len(drafts)} drafts were sent"

    if args.queries:
        for number, query in enumerate(queries, 1):
            print(f"{number:3}. {query['sql'][:300]}")
    if args.profile:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(os.environ.get("PROFILE_FILTER", ""), 60)
        print(out.getvalue())
    print(
        f"submission in-process: {len(queries)} queries; "
        f"{statistics.median(times):.2f} ms median, p90 {statistics.quantiles(times, n=10)[-1]:.2f} ms "
        f"(this process's CPU: {statistics.median(cpu_times):.2f} ms median) "
        f"over {len(times)} POSTs; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )


if __name__ == "__main__":
    main()
