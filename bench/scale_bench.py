"""Staff and citizen pages on 1,000,000 requests, 3,000,000 documents and 10,000,000 status changes.

Issue 12, point 5. Run on a database of its own (migrated, NOT the test database), PostgreSQL running:

    createdb -h 127.0.0.1 -U postgres oms_scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_scale .venv/bin/python manage.py migrate
    # fill (about 5 minutes on the 2-core box) and measure, leaving the rows for later runs:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_scale .venv/bin/python bench/scale_bench.py --keep
    # measure again on the filled database, generating nothing (after `migrate` if a migration came):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_scale .venv/bin/python bench/scale_bench.py --reuse

The fill is bench/review_bench.py's (100,050 users by INSERT … SELECT generate_series, the requests
by COPY), then: one citizen given 500 of the requests (497 decided, 3 open), 1–5 documents per
request (3 on average: slots, checker verdicts, files of long-decided requests marked deleted as
the retention task leaves them; the rows name files that are not on disk, and no measured page
opens a file) and 5–17 status changes per request (10 on average, every move one the status
table allows, with its actor) — both by INSERT … SELECT over generate_series. The three big tables
are loaded without their foreign keys, unique constraints and plain indexes; those are recreated
afterwards from the definitions the migrations made (read from the catalogue before dropping
them), and the script checks that the indexes and constraints are then the same as before the
load. Partial indexes stay during the load: they hold only open requests.

It measures, in-process with Django's WSGI handler (server time: middleware, session, queries,
template; no network), after a warm-up: the reviewers' queue first page, a filtered queue page
(kind + region + overdue), the support look-up by number, the 500-request citizen's cabinet and
«Мои заявления», and (no target: for their plans) the citizen's and the reviewer's request page;
p50/p95/max over `--runs`, with the load average around each. Then it captures each page's SQL,
runs EXPLAIN (ANALYZE, BUFFERS) on every query that reads a big table, and reports any Seq Scan on
them (exit status 1 if there is one). Without --keep (and without --reuse, which keeps) the
generated rows are deleted at the end — slow on 14 million rows: keep them on a bench database.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.review_bench import (  # noqa: E402  (sets up the path and the settings module first)
    Server,
    bench_rows_delete,
    explain_plan,
    fill,
    lookup_call,
    measure,
    reuse,
    staff_servers,
)

BIG_TABLES = ("oms_policy_policyrequest", "documents_document", "oms_policy_statuschange")
HEAVY_EMAIL = "bench-citizen-heavy@example.ru"
HEAVY_REQUESTS = 500
CHUNK = 100_000  # requests per INSERT … SELECT: progress lines, and no single multi-GB transaction
TARGETS_MS = {
    "queue": 300,
    "queue_filtered": 300,
    "lookup": 20,
    "cabinet": 50,
    "request_list": 50,
}
OPEN = ("submitted", "in_review", "documents_requested")
DECIDED = ("policy_issued", "rejected", "withdrawn", "expired")


# --- the load -----------------------------------------------------------------------------------


def _schema_snapshot(cursor) -> list[str]:
    """Every index and constraint of the big tables, as PostgreSQL would recreate them."""
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s) ORDER BY indexname",
        [list(BIG_TABLES)],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """
        SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1
        """,
        [list(BIG_TABLES)],
    )
    return indexes + [row[0] for row in cursor.fetchall()]


def secondary_schema_drop(cursor) -> list[tuple[str, str]]:
    """Drops the big tables' foreign keys, unique constraints and secondary indexes (the primary keys
    stay); returns (table, statement) to recreate each, constraints first, from the live catalogue."""
    recreate: list[tuple[str, str]] = []
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY 1, 2
        """,
        [list(BIG_TABLES)],
    )
    for table, name, definition in cursor.fetchall():
        recreate.append((table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        """
        SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
          -- Partial indexes stay: they hold only the open requests, so keeping them costs little, and
          -- PostgreSQL prints their predicates in a form that would not re-read as the same text.
          AND i.indexdef NOT LIKE '%% WHERE %%'
        ORDER BY 1, 2
        """,
        [list(BIG_TABLES)],
    )
    for table, name, definition in cursor.fetchall():
        recreate.append((table, definition))
        cursor.execute(f'DROP INDEX "{name}"')
    return recreate


def secondary_schema_restore(cursor, recreate: list[tuple[str, str]]) -> None:
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for table in BIG_TABLES:
        started = time.perf_counter()
        for owner, statement in recreate:
            if owner == table:
                cursor.execute(statement)
        print(f"{table}: indexes and keys rebuilt in {time.perf_counter() - started:.1f} s", flush=True)
    cursor.execute("RESET maintenance_work_mem")


def heavy_citizen_make(cursor, surname: str = "Тяжелова") -> int:
    """A citizen with 500 requests: 497 decided ones and one open request of each kind."""
    cursor.execute(
        """
        INSERT INTO accounts_user (password, is_superuser, email, last_name, first_name, patronymic, sex,
                                   identity_level, is_staff, is_active, date_joined, language)
        VALUES ('!', false, %s, %s, 'Анна', 'Сергеевна', 'female', 'confirmed', false, true, now(), 'ru')
        RETURNING id
        """,
        [HEAVY_EMAIL, surname],
    )
    heavy_id = cursor.fetchone()[0]
    cursor.execute(
        """
        UPDATE oms_policy_policyrequest SET applicant_id = %s, last_name = %s WHERE id IN (
            (SELECT id FROM oms_policy_policyrequest WHERE status = ANY(%s) ORDER BY id DESC LIMIT %s)
            UNION ALL
            (SELECT DISTINCT ON (change_kind) id FROM oms_policy_policyrequest WHERE status = ANY(%s)
             ORDER BY change_kind, id))
        """,
        [heavy_id, surname, list(DECIDED), HEAVY_REQUESTS - 3, list(OPEN)],
    )
    assert cursor.rowcount == HEAVY_REQUESTS, cursor.rowcount
    return heavy_id


def _by_chunks(cursor, label: str, sql: str, params: list) -> int:
    """Runs `sql` (an INSERT … SELECT over requests with `r.id >= %s AND r.id < %s` last) chunk by chunk."""
    cursor.execute("SELECT min(id), max(id) FROM oms_policy_policyrequest")
    low, high = cursor.fetchone()
    started = time.perf_counter()
    total = 0
    for start in range(low, high + 1, CHUNK):
        cursor.execute(sql, [*params, start, start + CHUNK])
        total += cursor.rowcount
        print(f"{label}: {total}", flush=True)
    print(f"{label}: {total} in {time.perf_counter() - started:.1f} s", flush=True)
    return total


DOCUMENTS_SQL = """
INSERT INTO documents_document (uuid, request_id, slot, uploaded_by_id, file, original_name, content_type, size,
                                status, verdict, verdict_code, metrics, is_new_for_review, uploaded_at,
                                checked_at, preview, file_deleted_at)
SELECT d.hex::uuid, d.request_id, d.slot, d.applicant_id,
       'documents/' || substr(d.hex, 1, 2) || '/' || d.hex, d.slot || '.jpg', 'image/jpeg',
       300000 + (d.request_id * 7919 + d.k * 104729) %% 4000000,
       CASE WHEN d.failed THEN 'failed' ELSE 'passed' END,
       CASE WHEN d.failed THEN %s ELSE %s END,
       CASE WHEN d.failed THEN 'blurry' ELSE 'readable' END,
       jsonb_build_object('width', 2480, 'height', 3508, 'sharpness',
                          CASE WHEN d.failed THEN 41.5 ELSE 180 + d.request_id %% 300 END, 'brightness', 0.56),
       false, d.uploaded_at, d.uploaded_at + interval '9 seconds', '',
       CASE WHEN d.closed_at + interval '90 days' < now() THEN d.closed_at + interval '90 days' END
FROM (
    SELECT r.id AS request_id, r.applicant_id, k, md5(r.id || '/' || k) AS hex,
           (ARRAY['passport_photo', 'passport_registration', 'current_policy', 'reason_document',
                  'passport_photo'])[k] AS slot,
           -- a request with five documents had its first passport photo refused and replaced by the fifth
           (k = 1 AND r.id %% 5 = 4) OR (k BETWEEN 2 AND 4 AND (r.id + k) %% 41 = 0) AS failed,
           r.submitted_at - (6 - k) * interval '3 minutes' AS uploaded_at,
           CASE WHEN r.status = ANY(%s) THEN coalesce(r.decided_at, r.submitted_at + interval '14 days') END
               AS closed_at
    FROM oms_policy_policyrequest r CROSS JOIN LATERAL generate_series(1, 1 + r.id %% 5) AS k
    WHERE r.id >= %s AND r.id < %s
) d
"""


def _status_after(change: str) -> str:
    """SQL: the status of a request after its `change`-th change of q.n (0: the draft), ending in the
    status it has now. Between «подана» and the end it goes back and forth between «на проверке»
    and «запрошены документы»; q.n has the parity that makes every move one the status table allows."""
    return f"""CASE
        WHEN {change} = 0 THEN 'draft'
        WHEN {change} = q.n THEN q.final
        WHEN {change} = 1 THEN 'submitted'
        WHEN {change} = q.n - 1 AND q.final = 'policy_issued' THEN 'approved'
        WHEN {change} = q.n - 1 AND q.final = 'expired' THEN 'documents_requested'
        WHEN ({change}) %% 2 = 0 THEN 'in_review'
        ELSE 'documents_requested'
    END"""


# OFFSET 0 keeps each level a subquery of its own, so the status expressions are computed once a row
# (flattened, the planner would repeat them in every CASE that reads them).
STATUS_CHANGES_SQL = f"""
INSERT INTO oms_policy_statuschange (request_id, old_status, new_status, actor_id, actor_role, comment, at)
SELECT c.request_id, c.old, c.new,
       CASE WHEN c.role = 'citizen' THEN c.applicant_id WHEN c.role = 'reviewer' THEN c.reviewer_id END,
       c.role,
       CASE WHEN c.new = 'documents_requested' THEN %s WHEN c.new = 'rejected' THEN %s ELSE '' END,
       c.at
FROM (
    SELECT s.*,
           CASE
               WHEN s.old = 'draft' OR s.new = 'withdrawn' OR (s.old = 'documents_requested' AND s.new = 'in_review')
                   THEN 'citizen'
               WHEN s.new IN ('policy_issued', 'expired') THEN 'system'
               ELSE 'reviewer'
           END AS role
    FROM (
        SELECT q.id AS request_id, q.applicant_id, q.reviewer_id,
               {_status_after("k - 1")} AS old,
               {_status_after("k")} AS new,
               q.submitted_at + (least(coalesce(q.decided_at, q.submitted_at + interval '5 days'), now())
                                 - q.submitted_at) * ((k - 1)::float8 / (q.n - 1)) AS at
        FROM (
            SELECT r.id, r.applicant_id, coalesce(r.reviewer_id, %s) AS reviewer_id, r.status::text AS final,
                   r.submitted_at, r.decided_at,
                   -- 5–14 changes, 2 more for one request in 34 (a long back-and-forth; an even step keeps
                   -- the parity below): 10 on average.
                   5 + r.id %% 10 + CASE WHEN r.id %% 34 = 0 THEN 2 ELSE 0 END + CASE
                       WHEN r.status IN ('policy_issued', 'expired', 'in_review') AND r.id %% 2 = 0 THEN 1
                       WHEN r.status IN ('rejected', 'submitted', 'documents_requested') AND r.id %% 2 = 1 THEN 1
                       ELSE 0
                   END AS n
            FROM oms_policy_policyrequest r
            WHERE r.id >= %s AND r.id < %s
            OFFSET 0
        ) q CROSS JOIN LATERAL generate_series(1, q.n) AS k
        OFFSET 0
    ) s
) c
"""


def generate(requests: int) -> tuple[list[str], int, dict]:
    from django.db import connection

    from documents.constants import Verdict

    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        before = _schema_snapshot(cursor)
        recreate = secondary_schema_drop(cursor)
        cursor.execute("SET synchronous_commit = off")  # the bench database: a crash only loses the bench rows
        cursor.execute("SET jit = off")  # compiling these one-off expressions costs more than running them
    try:
        started = time.perf_counter()
        numbers, reviewer_id = fill(requests)
        timings["users + requests (review_bench.fill)"] = time.perf_counter() - started
        with connection.cursor() as cursor:
            heavy_citizen_make(cursor)
            started = time.perf_counter()
            _by_chunks(
                cursor,
                "documents",
                DOCUMENTS_SQL,
                [str(Verdict.BLURRY.label), str(Verdict.READABLE.label), list(DECIDED)],
            )
            timings["documents"] = time.perf_counter() - started
            started = time.perf_counter()
            _by_chunks(
                cursor,
                "status changes",
                STATUS_CHANGES_SQL,
                [
                    "Загрузите скан страницы паспорта с регистрацией: на присланном не читается адрес.",
                    "Данные не совпадают с паспортом.",
                    reviewer_id,
                ],
            )
            timings["status changes"] = time.perf_counter() - started
    finally:
        # Also after a failed load: the database keeps the migrated schema.
        with connection.cursor() as cursor:
            started = time.perf_counter()
            secondary_schema_restore(cursor, recreate)
            timings["indexes and keys"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        after = _schema_snapshot(cursor)
        assert after == before, sorted(set(before) ^ set(after))
        print("schema after the load: the same indexes and constraints as the migrations made", flush=True)
        started = time.perf_counter()
        for table in BIG_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE accounts_user")
        timings["VACUUM ANALYZE"] = time.perf_counter() - started
        cursor.execute("RESET synchronous_commit")
        cursor.execute("RESET jit")
    for what, seconds in timings.items():
        print(f"generated — {what}: {seconds:.1f} s", flush=True)
    return numbers, reviewer_id, timings


# --- the measurement ----------------------------------------------------------------------------


def citizen_server(heavy_id: int) -> Server:
    """The 500-request citizen, logged in (a session as the login leaves it), with an active policy."""
    from django.conf import settings

    from accounts.models import User
    from bench.dataset import session_create
    from oms_policy.constants import PolicyStatus
    from oms_policy.models import InsuranceCompany, Policy

    citizen = User.objects.get(pk=heavy_id)
    if not Policy.objects.filter(holder=citizen, status=PolicyStatus.ACTIVE).exists():
        company = InsuranceCompany.objects.filter(is_active=True).select_related("region").first()
        Policy.objects.create(
            holder=citizen,
            enp="8451999122899990",
            insurance_company=company,
            region=company.region,
            issued_on="2020-03-01",
        )
    return Server(cookie=f"{settings.SESSION_COOKIE_NAME}={session_create(user=citizen)}")


def filtered_queue_query() -> dict:
    """kind + region + overdue: the region with the most open requests of a change of СМО."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT region_id FROM oms_policy_policyrequest
            WHERE status = ANY(%s) AND change_kind = 'smo_change' GROUP BY region_id ORDER BY count(*) DESC LIMIT 1
            """,
            [list(OPEN)],
        )
        region_id = cursor.fetchone()[0]
    return {"change_kind__exact": "smo_change", "region__id__exact": region_id, "overdue": "yes"}


SCAN = re.compile(r"(Seq Scan|Parallel Seq Scan) on (\w+)")
INDEX = re.compile(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using |on )(\w+)")


def plans_check(label: str, call) -> list[dict]:
    """Captures the SQL of one call of the page and EXPLAINs (ANALYZE, BUFFERS) each SELECT that reads
    a big table; returns one verdict per such query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    print(f"\n### {label}: {len(queries.captured_queries)} queries", flush=True)
    verdicts = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or not any(table in sql for table in BIG_TABLES):
            print(f"  [{query['time']} s] {sql[:100]}")
            continue
        plan = explain_plan(sql)
        text = "\n".join(plan)
        seq = [table for _kind, table in SCAN.findall(text) if table in BIG_TABLES]
        used = sorted(set(INDEX.findall(text)))
        execution = plan[-1].strip()
        verdict = {"page": label, "sql": sql, "seq": seq, "indexes": used, "execution": execution}
        verdicts.append(verdict)
        mark = f"SEQ SCAN on {', '.join(seq)}" if seq else f"index: {', '.join(used) or '—'}"
        print(f"  [{query['time']} s] {sql[:160]}\n    → {mark}; {execution}")
        for line in plan:
            print(f"      {line}")
    return verdicts


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
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    args.keep = args.keep or args.reuse  # a re-measurement never deletes the 14 million rows it came for
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; load average {os.getloadavg()}", flush=True)
    if args.reuse:
        numbers, reviewer_id = reuse()
    else:
        numbers, reviewer_id, _timings = generate(args.requests)
    failed = False
    try:
        with connection.cursor() as cursor:
            for table in BIG_TABLES:
                cursor.execute(f"SELECT count(*) FROM {table}")
                print(f"rows: {table} {cursor.fetchone()[0]:,}", flush=True)
            cursor.execute("SELECT id FROM accounts_user WHERE email = %s", [HEAVY_EMAIL])
            heavy_id = cursor.fetchone()[0]
            cursor.execute(
                """
                SELECT count(DISTINCT r.id), count(DISTINCT d.id), count(DISTINCT c.id)
                FROM oms_policy_policyrequest r LEFT JOIN documents_document d ON d.request_id = r.id
                LEFT JOIN oms_policy_statuschange c ON c.request_id = r.id WHERE r.applicant_id = %s
                """,
                [heavy_id],
            )
            heavy_requests, heavy_documents, heavy_changes = cursor.fetchone()
            print(
                f"the heavy citizen: {heavy_requests} requests, {heavy_documents} documents, "
                f"{heavy_changes} status changes",
                flush=True,
            )
        _reviewer, reviewer_client, support_client = staff_servers(reviewer_id)
        citizen_client = citizen_server(heavy_id)
        rng = random.Random(7)
        queue = "/admin/oms_policy/policyrequest/"
        filtered = filtered_queue_query()
        with connection.cursor() as cursor:
            # The heavy citizen's request with the most documents and status changes (5 and up to 17).
            cursor.execute(
                """
                SELECT r.id FROM oms_policy_policyrequest r WHERE r.applicant_id = %s
                ORDER BY (SELECT count(*) FROM documents_document d WHERE d.request_id = r.id) DESC,
                         (SELECT count(*) FROM oms_policy_statuschange c WHERE c.request_id = r.id) DESC, r.id
                LIMIT 1
                """,
                [heavy_id],
            )
            detail_request_id = cursor.fetchone()[0]
        pages = {
            "queue": ("reviewers' queue, first page", lambda: reviewer_client.get(queue), args.runs),
            "queue_filtered": (
                "queue filtered: kind + region + overdue",
                lambda: reviewer_client.get(queue, filtered),
                args.runs,
            ),
            "lookup": ("support look-up by number", lookup_call(support_client, numbers, rng), args.runs * 3),
            "cabinet": ("citizen's cabinet (500 requests)", lambda: citizen_client.get("/cabinet/"), args.runs),
            "request_list": ("«Мои заявления» (500 requests)", lambda: citizen_client.get("/requests/"), args.runs),
            # No target in the issue: measured for the plans of the pages that list documents and
            # status changes (the rows name files that are not on disk; neither page opens one).
            "request_page": (
                "citizen's request page (documents, status changes)",
                lambda: citizen_client.get(f"/requests/{detail_request_id}/"),
                args.runs,
            ),
            "review_page": (
                "reviewer's request page (scans, timeline, earlier requests)",
                lambda: reviewer_client.get(f"{queue}{detail_request_id}/change/"),
                args.runs,
            ),
        }
        print(f"\nfiltered queue: {filtered}")
        print("\n| What | n | wall p50 ms | wall p95 ms | wall max ms | CPU p50 ms | CPU p95 ms |")
        print("|---|---|---|---|---|---|---|")
        results = {}
        for key, (label, call, runs) in pages.items():
            load_before = os.getloadavg()[0]
            results[key] = measure(label, call, runs)
            results[key]["load"] = (load_before, os.getloadavg()[0])
        print("\n| What | p50 ms | p95 ms | max ms | target ms | met (p95) | load average 1 min |")
        print("|---|---|---|---|---|---|---|")
        for key, figures in results.items():
            target = TARGETS_MS.get(key)
            met = "—" if target is None else "yes" if figures["p95"] <= target else "**no**"
            load = "{:.1f} → {:.1f}".format(*figures["load"])
            print(
                f"| {figures['what']} | {figures['p50']:.1f} | {figures['p95']:.1f} | {figures['max']:.1f} "
                f"| {target or '—'} | {met} | {load} |"
            )

        verdicts = []
        for label, call, _runs in pages.values():
            verdicts += plans_check(label, call)
        print("\n| Page | query (start) | index used | Seq Scan on a big table | execution |")
        print("|---|---|---|---|---|")
        for verdict in verdicts:
            start = verdict["sql"][:60].replace("|", "\\|")
            seq = ", ".join(verdict["seq"]) or "none"
            print(
                f"| {verdict['page']} | `{start}…` | {', '.join(verdict['indexes']) or '—'} | {seq} "
                f"| {verdict['execution']} |"
            )
        failed = any(verdict["seq"] for verdict in verdicts)
        print(f"\nplans: {'SEQ SCAN on a big table' if failed else 'every query on a big table uses an index'}")
        print(f"load average at the end: {os.getloadavg()}", flush=True)
    finally:
        if not args.keep:
            bench_rows_delete()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
