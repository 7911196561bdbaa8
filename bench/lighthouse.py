"""Lighthouse (npm) with Debian's Chromium, mobile profile: performance score of each citizen page.

Lighthouse is not a Python package: `make bench` installs it with npm into var/bench/lighthouse
(LIGHTHOUSE_VERSION below) when npm is there. Without it the section says why it did not run.
"""

from __future__ import annotations

import json
import os
import subprocess

from bench.pages import CITIZEN_PAGES
from bench.shape import PROXY_HEADERS, VAR

LIGHTHOUSE_VERSION = "13.5.0"
TARGET_SCORE = 95
FOLDER = VAR / "lighthouse"
BINARY = FOLDER / "node_modules" / ".bin" / "lighthouse"


def lighthouse_install() -> str:
    """Install Lighthouse into var/bench/lighthouse; '' when it is there, else why it is not."""
    if BINARY.exists():
        return ""
    FOLDER.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", f"lighthouse@{LIGHTHOUSE_VERSION}"],
            cwd=FOLDER,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"npm install lighthouse@{LIGHTHOUSE_VERSION} failed: {error}"
    return ""


def lighthouse_score(*, url: str, cookie: str) -> tuple[int | None, str]:
    """Performance score 0–100 of `url` (mobile profile, simulated slow 4G and 4× CPU slowdown)."""
    from bench.page_weight import chromium_args

    report = VAR / "lighthouse-report.json"
    flags = " ".join(["--headless=new", *chromium_args()])
    result = subprocess.run(
        [
            str(BINARY),
            url,
            "--quiet",
            "--only-categories=performance",
            "--output=json",
            f"--output-path={report}",
            f"--chrome-flags={flags}",
            f"--extra-headers={json.dumps({**PROXY_HEADERS, 'Cookie': cookie})}",
        ],
        env={**os.environ, "CHROME_PATH": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 or not report.exists():
        output = (result.stderr or result.stdout).strip().splitlines()
        return None, output[-1] if output else f"exit code {result.returncode}"
    data = json.loads(report.read_text())
    report.unlink()
    if data.get("runtimeError"):
        return None, data["runtimeError"].get("message", "runtime error")
    final_url = data.get("finalDisplayedUrl") or data.get("finalUrl") or ""
    if final_url.rstrip("/") != url.rstrip("/"):
        return None, f"ended on {final_url} (not logged in?)"
    score = data["categories"]["performance"]["score"]
    metrics = data["audits"]
    detail = ", ".join(
        f"{name} {metrics[key]['displayValue']}"
        for name, key in (
            ("FCP", "first-contentful-paint"),
            ("LCP", "largest-contentful-paint"),
            ("TBT", "total-blocking-time"),
            ("CLS", "cumulative-layout-shift"),
        )
        if key in metrics and metrics[key].get("displayValue")
    )
    return (round(score * 100) if score is not None else None), detail


def lighthouse_lines(*, base_url: str, dataset: dict) -> list[str]:
    why_not = lighthouse_install()
    if why_not:
        return [f"Lighthouse: not run — {why_not}."]
    cookie = f"{dataset['cookie_name']}={dataset['session']}"
    lines = [
        f"Lighthouse {LIGHTHOUSE_VERSION} (npm) with Debian's Chromium, mobile profile (simulated slow 4G, 4× CPU "
        f"slowdown), performance only; target ≥ {TARGET_SCORE}:",
        "",
        "| Page | performance | metrics | target |",
        "|---|---|---|---|",
    ]
    for page in CITIZEN_PAGES:
        if page.path is None:
            lines.append(f"| {page.name} | not measured yet | | |")
            continue
        score, detail = lighthouse_score(url=base_url + page.url_path(dataset), cookie=cookie)
        verdict = "met" if score is not None and score >= TARGET_SCORE else "**not met**"
        lines.append(f"| {page.name} | {score if score is not None else 'failed'} | {detail} | {verdict} |")
    return lines
