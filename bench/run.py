"""`make bench`: the citizen pages against the floor, in one run, on this machine; appends the results.

Starts the production shape (bench/shape.py), loads the data set (bench/dataset.py), then for each
page of bench/pages.py: a check that it answers 200 as the logged-in citizen, a warm-up, and three
wrk runs at 16 connections. The three rounds go over every page in turn, so the floor and the pages
share the machine's moods; each page's ratio to the floor is taken within its round. Then page
weight (bench/page_weight.py) and Lighthouse (when it can run here). Also the submission path
(bench/submission.py) and the workers' scan check (bench/scan_check_bench.py), each against its
floor. Appends a dated section to docs/benchmarks.md and stops everything it started.

Environment: DATABASE_URL, REDIS_URL (defaults: the dedicated oms_bench database, Redis db 0),
BENCH_SECONDS (per wrk run, default 10), BENCH_WARMUP_SECONDS (default 3), BENCH_WORKERS (gunicorn
sync workers, default 2), BENCH_LABEL (a note in the heading, e.g. «before: CONN_MAX_AGE=0»).
`--portal-env NAME=VALUE` sets a variable for the portal's gunicorn only (before/after figures).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench import lighthouse
from bench.page_weight import page_weight_measure, page_weight_table
from bench.pages import BARE, CITIZEN_PAGES, FLOOR, FLOOR_PORTAL, SUBMISSION_FORM_PATH, Page
from bench.shape import HOST, PROXY_HEADERS, ROOT, VAR, ProductionShape, http_get
from bench.submission import submission_measure
from bench.wrk import CONNECTIONS, THREADS, WrkResult, wrk_run, wrk_version

RESULTS = ROOT / "docs" / "benchmarks.md"
TARGET_RATIO = 0.7
TARGET_P99_MS = 60.0


@dataclass
class Figures:
    page: Page
    runs: list[WrkResult] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def errors(self) -> int:
        """Answers other than 200 (a redirect to the login page included) and socket errors (> 10 s)."""
        return sum(run.non_200 + run.socket_errors for run in self.runs)


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    if not values:
        return "—"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def machine_facts() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    return [f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GB RAM, {platform.platform()}"]


def versions(shape: ProductionShape) -> str:
    import django
    import gunicorn
    import psycopg2
    import redis

    postgres = (
        shape.manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from django.db import connection; print(connection.cursor().connection.server_version)",
            capture=True,
        )
        .strip()
        .splitlines()[-1]
    )
    redis_version = redis.Redis.from_url(shape.redis_url).info("server")["redis_version"]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    pg = f"{int(postgres) // 10000}.{int(postgres) % 10000}" if postgres.isdigit() else postgres
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, gunicorn {gunicorn.__version__}, "
        f"psycopg2 {psycopg2.__version__.split()[0]}, PostgreSQL {pg}, Redis {redis_version}, {wrk_version()}; "
        f"commit {commit}{' + uncommitted changes' if dirty else ''}"
    )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(shape: ProductionShape, dataset: dict, pages: list[Page], *, seconds: int, warmup: int) -> list[Figures]:
    headers = {**PROXY_HEADERS, "Cookie": f"{dataset['cookie_name']}={dataset['session']}"}
    figures = [Figures(page=page) for page in pages]
    for item in figures:
        server = shape.servers[item.page.server]
        path = item.page.url_path(dataset)
        status, _ = http_get(server.port, path, headers=headers)
        if status != 200:
            item.error = f"answered {status} to the logged-in citizen"
            continue
        wrk_run(f"http://{HOST}:{server.port}{path}", seconds=warmup, headers=headers, script_dir=VAR)
    floor = next(item for item in figures if item.page is FLOOR)
    others = [item for item in figures if item is not floor and not item.error]

    def run(item: Figures) -> float:
        server = shape.servers[item.page.server]
        url = f"http://{HOST}:{server.port}{item.page.url_path(dataset)}"
        item.runs.append(wrk_run(url, seconds=seconds, headers=headers, script_dir=VAR))
        return item.runs[-1].requests_per_second

    # The machine is shared: its speed drifts within seconds. Each page runs between two floor runs
    # and its ratio is to their mean, so both sides of a ratio saw the same machine.
    for round_number in range(3):
        before = run(floor)
        for item in others:
            rps = run(item)
            after = run(floor)
            item.ratios.append(rps / ((before + after) / 2))
            print(
                f"  round {round_number + 1}: {item.page.name}: {rps:.0f} req/s, floor {before:.0f}/{after:.0f}",
                flush=True,
            )
            before = after
    floor.ratios = [1.0]
    return figures


def wrk_table(figures: list[Figures]) -> list[str]:
    lines = [
        "| Page | req/s median (min–max) | p99 ms median (min–max) | ratio to the floor | errors "
        "| target (≥ 0.7 floor, p99 ≤ 60 ms) |",
        "|---|---|---|---|---|---|",
    ]
    for item in figures:
        if item.error:
            lines.append(f"| {item.page.name} | **{item.error}** | | | | not measured |")
            continue
        rps = [run.requests_per_second for run in item.runs]
        p99 = [run.p99_ms for run in item.runs]
        if item.page in (FLOOR, BARE, FLOOR_PORTAL):
            verdict = "(floor)" if item.page is FLOOR else "(reference)"
        else:
            met = statistics.median(item.ratios) >= TARGET_RATIO and statistics.median(p99) <= TARGET_P99_MS
            verdict = "met" if met and not item.errors else "**not met**"
        ratios = spread(item.ratios, "{:.2f}")
        lines.append(
            f"| {item.page.name} | {spread(rps)} | {spread(p99, '{:.1f}')} | {ratios} | {item.errors} | {verdict} |"
        )
    for page in CITIZEN_PAGES:
        if page.path is None:
            lines.append(f"| {page.name} | not measured yet (the page has not landed) | | | | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portal-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not append it")
    parser.add_argument("--skip-browser", action="store_true", help="no page weight and no Lighthouse")
    args = parser.parse_args()
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    warmup = int(os.environ.get("BENCH_WARMUP_SECONDS", "3"))
    label = os.environ.get("BENCH_LABEL", "")
    portal_env = dict(item.split("=", 1) for item in args.portal_env)
    started = datetime.datetime.now(datetime.UTC)
    load_before = load_average()
    pages = [BARE, FLOOR, FLOOR_PORTAL, *(page for page in CITIZEN_PAGES if page.path is not None)]
    with ProductionShape(portal_env=portal_env) as shape:
        dataset = shape.python_json("bench.dataset")
        version_line = versions(shape)
        print(f"bench: {len(pages)} pages × 3 rounds × {seconds} s (wrk -t{THREADS} -c{CONNECTIONS})", flush=True)
        figures = measure(shape, dataset, pages, seconds=seconds, warmup=warmup)
        submission = submission_measure(shape=shape, dataset=dataset, seconds=seconds) if SUBMISSION_FORM_PATH else None
        print("bench: scan checks (bench/scan_check_bench.py)", flush=True)
        scan_lines = shape.python_json("bench.scan_check_bench", "--json")["lines"]
        weights = lighthouse_lines = None
        if not args.skip_browser:
            base_url = f"http://{HOST}:{shape.servers['portal'].port}"
            weights = page_weight_measure(
                base_url=base_url, cookie_name=dataset["cookie_name"], session=dataset["session"], dataset=dataset
            )
            lighthouse_lines = lighthouse.lighthouse_lines(base_url=base_url, dataset=dataset)
    load_after = load_average()

    heading = f"## make bench — {started:%Y-%m-%d %H:%M} UTC" + (f" — {label}" if label else "")
    section = [
        heading,
        "",
        f"Machine: {machine_facts()[0]}. **Shared**: up to 8 engineers build and test on these 2 cores at the "
        f"same time (load average {load_before} before, {load_after} after), so absolute figures move from run "
        "to run; the ratios to the floor, measured in the same rounds, are the figures to compare.",
        f"Versions: {version_line}.",
        f"Setup: gunicorn {shape.workers} sync workers (`portal.settings.production`), a Celery worker, PostgreSQL "
        f"and Redis on loopback; floor on a second gunicorn with stock Django (`bench/settings_floor.py`); "
        f"wrk -t{THREADS} -c{CONNECTIONS}, {warmup} s warm-up, 3 rounds × {seconds} s per page, each page run "
        "between two floor runs and its ratio taken to their mean; logged in as a citizen "
        "with 20 requests, one with 10 status changes and 6 documents, 30 notifications (5 unread)."
        + (f" Portal-only environment: `{' '.join(args.portal_env)}`." if args.portal_env else ""),
        "",
        *wrk_table(figures),
        "",
        "Submission path («Отправить заявку», POST/s, target ≥ 0.4 of the floor): "
        + (
            f"{submission}"
            if submission
            else "not measured yet (the form has not landed; hook: `bench/submission.py`)."
        ),
    ]
    section += ["", *scan_lines]
    if weights is not None:
        section += ["", "Page weight (`bench/page_weight.py`, Chromium at 360 px):", "", *page_weight_table(weights)]
    if lighthouse_lines:
        section += ["", *lighthouse_lines]
    text = "\n".join(section) + "\n"
    print(text)
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + text)
        print(f"appended to {RESULTS.relative_to(ROOT)}")
    failed = any(item.error or item.errors for item in figures)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
