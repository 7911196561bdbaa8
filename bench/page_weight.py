"""Page weight: every citizen page's HTML + CSS + JS, compressed, ≤ 60 KB; no request to another host.

Headless Chromium (Debian's /usr/bin/chromium, with the flags of conftest.CHROMIUM_ARGS) opens each
page of bench/pages.py as the logged-in bench citizen and records every response. «Compressed» is
what goes over the wire to a browser that accepts gzip: static files are served by whitenoise from
their precompressed .gz; the HTML (gunicorn sends it plain, a compressing proxy sits in front) is
counted as its gzip -6 size. A request to any host other than the portal's is aborted and reported.

Standalone: `.venv/bin/python -m bench.page_weight` starts the production shape itself (as
`make bench` does) and prints the table; `make bench` calls `page_weight_measure` in its own run.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.pages import CITIZEN_PAGES, Page
from bench.shape import HOST, PROXY_HEADERS

LIMIT_BYTES = 60 * 1024
COUNTED_TYPES = {"document", "stylesheet", "script"}


@dataclass
class PageWeight:
    page: Page
    status: int = 0
    compressed_bytes: int = 0  # HTML + CSS + JS as sent to a gzip-accepting browser
    raw_bytes: int = 0  # the same, uncompressed
    other_bytes: int = 0  # images, fonts, icons (compressed as served)
    requests: int = 0
    foreign_hosts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.compressed_bytes <= LIMIT_BYTES and not self.foreign_hosts


def chromium_args() -> list[str]:
    from conftest import CHROMIUM_ARGS

    return CHROMIUM_ARGS


def page_weight_measure(*, base_url: str, cookie_name: str, session: str, dataset: dict) -> list[PageWeight]:
    from playwright.sync_api import sync_playwright

    port_host = urlsplit(base_url).netloc
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), headless=True, args=chromium_args()
        )
        try:
            context = browser.new_context(
                locale="ru-RU", viewport={"width": 360, "height": 800}, extra_http_headers=PROXY_HEADERS
            )
            # The session cookie is __Host- and Secure: set for the https origin of the same host, the
            # browser sends it to loopback http too (127.0.0.1 counts as a secure context). A Cookie
            # header in extra_http_headers would be replaced by the jar once the page sets any cookie.
            context.add_cookies(
                [
                    {
                        "name": cookie_name,
                        "value": session,
                        "url": base_url.replace("http://", "https://", 1),
                        "secure": True,
                        "httpOnly": True,
                        "sameSite": "Lax",
                    }
                ]
            )
            for page_spec in CITIZEN_PAGES:
                if page_spec.path is None:
                    continue
                results.append(_measure_one(context, base_url, port_host, page_spec, dataset))
        finally:
            browser.close()
    return results


def _measure_one(context, base_url: str, port_host: str, page_spec: Page, dataset: dict) -> PageWeight:
    weight = PageWeight(page=page_spec)
    page = context.new_page()
    responses = []

    def route(route):
        host = urlsplit(route.request.url).netloc
        if host != port_host and not route.request.url.startswith("data:"):
            weight.foreign_hosts.append(host)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", route)
    page.on("response", lambda response: responses.append(response))
    response = page.goto(base_url + page_spec.url_path(dataset), wait_until="load")
    weight.status = response.status if response else 0
    if response and response.url.split("?")[0] != base_url + page_spec.url_path(dataset):
        weight.status = 0  # redirected (to the login page): not the page we meant to weigh
    for item in responses:
        body = item.body() if item.status == 200 else b""
        weight.requests += 1
        encoding = (item.headers.get("content-encoding") or "").lower()
        wire = item.request.sizes()["responseBodySize"] if encoding else len(gzip.compress(body, 6))
        if item.request.resource_type in COUNTED_TYPES:
            weight.compressed_bytes += wire
            weight.raw_bytes += len(body)
        else:
            weight.other_bytes += wire
    page.close()
    return weight


def page_weight_table(results: list[PageWeight]) -> list[str]:
    lines = [
        "| Page | HTML+CSS+JS compressed | uncompressed | other (images, icons) | requests | other hosts | ≤ 60 KB |",
        "|---|---|---|---|---|---|---|",
    ]
    measured = {result.page.name for result in results}
    for result in results:
        verdict = "yes" if result.ok else (f"**no** (status {result.status})" if result.status != 200 else "**no**")
        hosts = ", ".join(result.foreign_hosts) or "none"
        lines.append(
            f"| {result.page.name} | {result.compressed_bytes / 1024:.1f} KB | {result.raw_bytes / 1024:.1f} KB | "
            f"{result.other_bytes / 1024:.1f} KB | {result.requests} | {hosts} | {verdict} |"
        )
    for page_spec in CITIZEN_PAGES:
        if page_spec.path is None and page_spec.name not in measured:
            lines.append(f"| {page_spec.name} | not measured yet (the page has not landed) | | | | | |")
    return lines


def main() -> None:
    from bench.shape import ProductionShape

    with ProductionShape(with_floor=False) as shape:
        dataset = shape.python_json("bench.dataset")
        server = shape.servers["portal"]
        results = page_weight_measure(
            base_url=f"http://{HOST}:{server.port}",
            cookie_name=dataset["cookie_name"],
            session=dataset["session"],
            dataset=dataset,
        )
    print("\n".join(page_weight_table(results)))
    print(json.dumps({"all_ok": all(result.ok for result in results)}))


if __name__ == "__main__":
    main()
