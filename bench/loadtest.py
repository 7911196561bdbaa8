"""`make loadtest`: Locust against the `make serve` process set on PostgreSQL and Redis.

Starts gunicorn (sync workers, `portal.settings.production`) and a Celery worker as `make serve`
does (bench/shape.py), makes LOADTEST_CITIZENS citizens with sessions (bench/dataset.py), runs
bench/locustfile.py headless with LOADTEST_USERS simulated people for LOADTEST_SECONDS (default
600), stops everything, and appends p95 and the error count per page to docs/benchmarks.md.
Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import subprocess
import sys

from bench.run import RESULTS, load_average, machine_facts
from bench.shape import HOST, ROOT, VAR, ProductionShape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-write", action="store_true", help="print the section, do not append it")
    args = parser.parse_args()
    seconds = int(os.environ.get("LOADTEST_SECONDS", "600"))
    users = int(os.environ.get("LOADTEST_USERS", "20"))
    citizens = int(os.environ.get("LOADTEST_CITIZENS", "40"))
    reviewers = int(os.environ.get("LOADTEST_REVIEWERS", "2"))
    queue = int(os.environ.get("LOADTEST_QUEUE", "100"))
    # Each submission takes another citizen's ready draft; more than the submitting people can send.
    drafts = int(os.environ.get("LOADTEST_DRAFTS", str(max(100, seconds))))
    started = datetime.datetime.now(datetime.UTC)
    load_before = load_average()
    csv_prefix = VAR / "locust"
    with ProductionShape(with_floor=False) as shape:
        dataset = shape.python_json(
            "bench.dataset",
            "--load-citizens",
            str(citizens),
            "--reviewers",
            str(reviewers),
            "--queue",
            str(queue),
            "--submission-drafts",
            str(drafts),
        )
        sessions_file = VAR / "loadtest-sessions.json"
        sessions_file.write_text(json.dumps(dataset))
        sessions_file.chmod(0o600)
        port = shape.servers["portal"].port
        print(f"loadtest: {users} people for {seconds} s against gunicorn on {HOST}:{port}", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(max(1, users // 10)),
                "--run-time",
                f"{seconds}s",
                "--host",
                f"http://{HOST}:{port}",
                "--csv",
                str(csv_prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            cwd=ROOT,
            env={**os.environ, "LOADTEST_SESSIONS": str(sessions_file), "PYTHONPATH": str(ROOT)},
            check=True,
            timeout=seconds + 120,
        )
        sessions_file.unlink()
        workers = shape.workers
    load_after = load_average()
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as stats_file:
        rows = list(csv.DictReader(stats_file))
    lines = [
        f"## make loadtest — {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine_facts()[0]}. **Shared** with up to 8 engineers building and testing at the same time "
        f"(load average {load_before} before, {load_after} after).",
        f"Setup: Locust (bench/locustfile.py), {users} simulated people for {seconds} s: {reviewers} reviewers "
        "(admin login with password and TOTP, queue → claim → request → approve or ask for documents, 2–5 s "
        "between steps), the rest citizens browsing the cabinet (1–3 s between pages) and citizens sending "
        f"«Отправить заявку» (one ready draft each, {drafts} drafts); gunicorn {workers} sync workers + a Celery "
        f"worker on PostgreSQL and Redis (`make serve`'s process set); {citizens} browsing citizens with 3 "
        f"requests each, {queue} requests waiting in the queue at the start.",
        "",
        "| Request | count | failures | median ms | p95 ms | max ms | req/s |",
        "|---|---|---|---|---|---|---|",
    ]
    failures = 0
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        failures += int(row["Failure Count"]) if row["Name"] == "Aggregated" else 0
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Median Response Time']):.0f} | "
            f"{row['95%']} | {float(row['Max Response Time']):.0f} | {float(row['Requests/s']):.1f} |"
        )
    lines += ["", f"Errors: **{failures}**."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + text)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
