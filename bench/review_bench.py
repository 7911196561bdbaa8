"""The reviewers' queue and the support look-up on a table of 1,000,000 requests.

Usage (PostgreSQL running; the database is migrated, filled and used as is — NOT the test database):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_review \
        .venv/bin/python bench/review_bench.py [--requests 1000000] [--runs 30] [--keep]

Fills the database with bulk inserts (users by INSERT … SELECT generate_series, requests by COPY):
100,000 citizens, 50 reviewers, 1 support operator, and `--requests` policy-update requests — most
decided long ago, ~3.5 % open (submitted, in review, documents requested) as a live service would
have. Then measures, in-process with Django's test client (server time: middleware, session, the
queries, the template; no network), the first page of the queue as a reviewer opens it and a
look-up by number as a support operator, and prints p50/p95/max and the queries of one run.
Without --keep the generated rows are deleted at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
os.environ.setdefault("DEBUG", "false")  # no query log, no debug pages: the server path as deployed

CITIZENS = 100_000
REVIEWERS = 50
KINDS = ["renewal", "data_correction", "smo_change"]
SURNAMES = ["Иванова", "Петров", "Смирнов", "Кузнецова", "Попов", "Васильева", "Соколов", "Михайлова", "Новиков"]


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:  # doubled: positions counted from the check digit, which is not in `body`
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def fill(total: int) -> tuple[list[str], int]:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, email, last_name, first_name, patronymic, sex,
                                       identity_level, is_staff, is_active, date_joined, language)
            SELECT '!', false, 'bench-citizen-' || n || '@example.ru', (%s::text[])[1 + n %% 9], 'Анна',
                   'Сергеевна', 'female', 'confirmed', false, true, now(), 'ru'
            FROM generate_series(1, %s) AS n
            """,
            [SURNAMES, CITIZENS],
        )
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, email, last_name, first_name, patronymic, sex,
                                       identity_level, is_staff, is_active, date_joined, language)
            SELECT '!', false, 'bench-reviewer-' || n || '@oms.localhost', 'Проверкина', 'Ольга', '', '',
                   'standard', true, true, now(), 'ru'
            FROM generate_series(1, %s) AS n
            """,
            [REVIEWERS],
        )
        cursor.execute("SELECT id FROM accounts_user WHERE email LIKE 'bench-citizen-%%' ORDER BY id")
        citizens = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM accounts_user WHERE email LIKE 'bench-reviewer-%%' ORDER BY id")
        reviewers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM oms_policy_region ORDER BY id")
        regions = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM oms_policy_insurancecompany ORDER BY id")
        companies = [row[0] for row in cursor.fetchall()]
    print(f"users: {len(citizens) + len(reviewers)} in {time.perf_counter() - started:.1f} s", flush=True)

    rng = random.Random(20261201)
    bodies: set[int] = set()
    while len(bodies) < total:
        bodies.add(rng.randrange(10**9, 10**10))
    numbers = [f"{body}{luhn_digit(str(body))}" for body in bodies]
    open_count = int(total * 0.035)
    columns = (
        "applicant_id, number, status, change_kind, draft_step, current_policy_kind, current_policy_number, "
        "current_policy_series, last_name, first_name, patronymic, sex, corrections, smo_change_reason, "
        "requested_slots, requested_note, rejection_text, submit_key, created_at, updated_at, submitted_at, "
        "decided_at, region_id, new_insurance_company_id, reviewer_id, claimed_at"
    )
    now = time.time()
    started = time.perf_counter()
    chunk = 100_000
    for start in range(0, total, chunk):
        buffer = io.StringIO()
        for index in range(start, min(start + chunk, total)):
            if index < open_count:
                # Open requests: distinct (applicant, kind) pairs (the one-open-request constraint), every
                # kind in turn (all of one kind before, so a queue filtered by kind found none of another).
                applicant = citizens[(index // 3) % CITIZENS]
                kind = KINDS[index % 3]
                status = rng.choices(["submitted", "in_review", "documents_requested"], [50, 40, 10])[0]
                submitted = now - rng.uniform(0, 30 * 86400)
                decided = None
            else:
                applicant = rng.choice(citizens)
                kind = rng.choice(KINDS)
                status = rng.choices(["policy_issued", "rejected", "withdrawn", "expired"], [75, 15, 6, 4])[0]
                submitted = now - rng.uniform(30 * 86400, 3 * 365 * 86400)
                decided = submitted + rng.uniform(3600, 7 * 86400) if status in ("policy_issued", "rejected") else None
            reviewer = rng.choice(reviewers) if status not in ("submitted", "withdrawn", "expired") else None
            region = rng.choice(regions)
            company = rng.choice(companies) if kind == "smo_change" else None
            stamp = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(submitted))
            decided_stamp = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(decided)) if decided else r"\N"
            row = [
                applicant,
                numbers[index],
                status,
                kind,
                3,
                "unified",
                "8451999122899990",
                "",
                SURNAMES[index % 9],
                "Анна",
                "Сергеевна",
                "female",
                "{}",
                "",
                "[]",
                "",
                "",
                "",
                stamp,
                stamp,
                stamp,
                decided_stamp,
                region,
                company if company else r"\N",
                reviewer if reviewer else r"\N",
                stamp if reviewer else r"\N",
            ]
            buffer.write("\t".join(str(value) for value in row) + "\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY oms_policy_policyrequest ({columns}) FROM STDIN", buffer)
        print(f"requests: {min(start + chunk, total)}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE oms_policy_policyrequest")
        cursor.execute("ANALYZE accounts_user")
    print(f"requests: {total} in {time.perf_counter() - started:.1f} s", flush=True)
    return numbers, reviewers[0]


def reuse() -> tuple[list[str], int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM oms_policy_policyrequest")
        print(f"requests on file: {cursor.fetchone()[0]}")
        cursor.execute("SELECT number FROM oms_policy_policyrequest TABLESAMPLE SYSTEM (1) LIMIT 5000")
        numbers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT min(id) FROM accounts_user WHERE email LIKE 'bench-reviewer-%%'")
        reviewer_id = cursor.fetchone()[0]
        support = "(SELECT id FROM accounts_user WHERE email = 'bench-support@oms.localhost')"
        cursor.execute(f"DELETE FROM accounts_user_groups WHERE user_id IN {support}")
        cursor.execute(f"DELETE FROM otp_totp_totpdevice WHERE user_id IN {support}")
        cursor.execute("DELETE FROM oms_policy_requestlookup")
        cursor.execute("DELETE FROM accounts_user WHERE email = 'bench-support@oms.localhost'")
    return numbers, reviewer_id


class Server:
    """Django's own WSGI handler called in this process: the whole server path (middleware, session,
    second-factor check, queries, template) without a network or the test client's instrumentation."""

    def __init__(self, client=None, *, cookie: str = "") -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.cookie = cookie or "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())

    def get(self, path: str, query: dict | None = None) -> int:
        from urllib.parse import urlencode

        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": urlencode(query or {}),
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "HTTP_COOKIE": self.cookie,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        status = []
        body = self.handler(environ, lambda code, headers, exc_info=None: status.append(code))
        try:
            b"".join(body)
        finally:
            body.close()
        return int(status[0].split()[0])


def measure(label: str, call, runs: int) -> dict:
    """Wall time of each call and the CPU time this process spent on it (the Django side alone; the
    wall time also holds PostgreSQL's work and, on a busy machine, waiting for a core)."""
    for _ in range(3):
        call()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        status = call()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        assert status == 200, status
    walls.sort()
    cpus.sort()
    p95 = max(0, int(round(runs * 0.95)) - 1)
    figures = {
        "what": label,
        "n": runs,
        "p50": statistics.median(walls),
        "p95": walls[p95],
        "max": walls[-1],
        "cpu_p50": statistics.median(cpus),
        "cpu_p95": cpus[p95],
    }
    print(
        f"| {label} | {runs} | {figures['p50']:.1f} | {figures['p95']:.1f} | {figures['max']:.1f} "
        f"| {statistics.median(cpus):.1f} | {cpus[p95]:.1f} |",
        flush=True,
    )
    return figures


def explain_plan(sql: str) -> list[str]:
    """The lines of `EXPLAIN (ANALYZE, BUFFERS)` of one captured query (the query really runs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def explain(sql: str) -> str:
    return explain_plan(sql)[-1].strip()


def staff_servers(reviewer_id: int):
    """(reviewer, the reviewer's server, the support operator's server): TOTP-verified sessions."""
    from django.contrib.auth.models import Group

    from accounts.constants import StaffGroup
    from accounts.models import User
    from accounts.tests.admin_helpers import verified_staff_client

    reviewer = User.objects.get(pk=reviewer_id)
    reviewer.groups.add(Group.objects.get(name=StaffGroup.REVIEWERS))
    support = User.objects.create(email="bench-support@oms.localhost", is_staff=True, password="!")
    support.groups.add(Group.objects.get(name=StaffGroup.SUPPORT))
    return reviewer, Server(verified_staff_client(reviewer)), Server(verified_staff_client(support))


def lookup_call(server: Server, numbers: list[str], rng: random.Random):
    """A look-up of a random number, typed as read out over the phone (spaces and a dash)."""

    def lookup() -> int:
        digits = rng.choice(numbers)
        return server.get("/support/lookup/", {"number": f"{digits[:3]} {digits[3:6]}-{digits[6:9]} {digits[9:]}"})

    return lookup


def bench_rows_delete() -> None:
    """Deletes every row the bench made (its users' requests with their documents and status changes)."""
    from django.db import connection

    bench_users = "(SELECT id FROM accounts_user WHERE email LIKE 'bench-%%')"
    bench_requests = f"(SELECT id FROM oms_policy_policyrequest WHERE applicant_id IN {bench_users})"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM oms_policy_requestlookup")
        cursor.execute(f"DELETE FROM documents_document WHERE request_id IN {bench_requests}")
        cursor.execute(f"DELETE FROM oms_policy_statuschange WHERE request_id IN {bench_requests}")
        cursor.execute(f"DELETE FROM oms_policy_policy WHERE holder_id IN {bench_users}")
        cursor.execute(f"DELETE FROM oms_policy_policyrequest WHERE applicant_id IN {bench_users}")
        cursor.execute("DELETE FROM django_session")
        cursor.execute(f"DELETE FROM otp_totp_totpdevice WHERE user_id IN {bench_users}")
        cursor.execute(f"DELETE FROM accounts_user_groups WHERE user_id IN {bench_users}")
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE 'bench-%%'")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="leave the generated rows for another run")
    parser.add_argument("--reuse", action="store_true", help="measure on rows a --keep run left")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    numbers, reviewer_id = reuse() if args.reuse else fill(args.requests)
    try:
        reviewer, reviewer_client, support_client = staff_servers(reviewer_id)
        rng = random.Random(7)

        print("\n| What | n | wall p50 ms | wall p95 ms | wall max ms | CPU p50 ms | CPU p95 ms |")
        print("|---|---|---|---|---|---|---|")
        queue = "/admin/oms_policy/policyrequest/"
        measure("queue, first page (unclaimed + mine)", lambda: reviewer_client.get(queue), args.runs)
        measure("queue, «Назначены мне»", lambda: reviewer_client.get(queue, {"queue": "mine"}), args.runs)
        measure("queue, search by number", lambda: reviewer_client.get(queue, {"q": rng.choice(numbers)}), args.runs)

        lookup = lookup_call(support_client, numbers, rng)
        measure("support look-up by number", lookup, args.runs * 3)
        reviewer.groups.add(Group.objects.get(name="review_heads"))
        measure(
            "dashboard (per status, overdue, median this week)", lambda: reviewer_client.get(queue + "dashboard/"), 5
        )

        with CaptureQueriesContext(connection) as queries:
            reviewer_client.get(queue)
        print(f"\nqueue first page: {len(queries.captured_queries)} queries")
        for query in queries.captured_queries:
            sql = query["sql"]
            timing = explain(sql) if sql.startswith("SELECT") and "oms_policy_policyrequest" in sql else ""
            print(f"  {query['time']} s  {sql[:110]}  {timing}")
        with CaptureQueriesContext(connection) as queries:
            lookup()
        print(f"look-up: {len(queries.captured_queries)} queries")
        for query in queries.captured_queries:
            sql = query["sql"]
            timing = explain(sql) if sql.startswith("SELECT") and "oms_policy_policyrequest" in sql else ""
            print(f"  {query['time']} s  {sql[:110]}  {timing}")
    finally:
        if not args.keep:
            bench_rows_delete()


if __name__ == "__main__":
    main()
