"""Steps of the whole journey in a browser, as a person does them: the outbox files stand in for the
phone and the mailbox, the authenticator app is the TOTP of the staff member's device."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.tests.admin_helpers import PASSWORD as STAFF_PASSWORD
from accounts.tests.admin_helpers import totp_token

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
SAMPLES = Path(settings.BASE_DIR) / "documents" / "tests" / "samples"
CITIZEN_PASSWORD = "Зелёный-чайник-42"


AXE_JS = Path(settings.BASE_DIR) / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# axe is served from the portal's own origin by the browser context (a route), so the page's
# Content-Security-Policy stays on for the whole journey and refusals are still seen.
AXE_PATH = "/__axe__/axe.min.js"
AXE_RUN = (
    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', 'best-practice']}))"
    ".violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
    ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary).join(', '))"
)


def axe_source() -> str:
    if not AXE_JS.exists():
        subprocess.run(
            ["npm", "ci", "--prefix", str(AXE_JS.parents[2]), "--no-audit", "--no-fund"], check=True, timeout=300
        )
    return AXE_JS.read_text(encoding="utf-8")


def audited(page: Page, base: str) -> Page:
    """Check every page `shot` sees with axe-core (serious and critical findings) and record every
    Content-Security-Policy refusal: `page.axe_found` {step: [...]}, `page.csp_refused` [...]."""
    source = axe_source()
    page.context.route(base + AXE_PATH, lambda route: route.fulfill(body=source, content_type="application/javascript"))
    page.axe_found = {}
    page.csp_refused = []
    page.on(
        "console",
        lambda message: page.csp_refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.axe_base = base
    return page


def axe_check(page: Page) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=page.axe_base + AXE_PATH)
    return page.evaluate(AXE_RUN)


def shot(page: Page, name: str) -> None:
    """A full-page screenshot for the CI artifacts (var/screenshots/<name>.png); on an audited
    page, axe-core checks it too."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if getattr(page, "axe_found", None) is not None:
        found = axe_check(page)
        if found:
            page.axe_found[f"{name} {page.url}"] = found


def outbox_wait(folder: Path, *, to: str, pattern: str, seen: set[str], timeout: float = 20) -> re.Match:
    """The first outbox file for `to` whose text matches `pattern`, not read before."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            if path.name in seen:
                continue
            record = json.loads(path.read_text(encoding="utf-8"))
            match = re.search(pattern, record["text"])
            if record["to"].replace(" ", "").replace("-", "") == to and match:
                seen.add(path.name)
                return match
        time.sleep(0.1)
    raise AssertionError(f"nothing matching {pattern!r} for {to} in {folder}")


def outbox_texts(folder: Path, *, to: str) -> list[str]:
    texts = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["to"].replace(" ", "").replace("-", "") == to:
            texts.append(record["text"])
    return texts


def register(
    page: Page,
    *,
    base: str,
    outbox: Path,
    seen: set[str],
    last_name: str,
    first_name: str,
    patronymic: str,
    phone_typed: str,
    phone: str,
    email: str,
    prefix: str,
) -> None:
    page.goto(base + "/accounts/register/")
    page.get_by_label("Фамилия").fill(last_name)
    page.locator("#id_first_name").fill(first_name)
    page.get_by_label("Отчество").fill(patronymic)
    page.get_by_label("Мобильный телефон").fill(phone_typed)
    page.get_by_label("Электронная почта").fill(email)
    page.locator("#id_password1").fill(CITIZEN_PASSWORD)
    page.locator("#id_password2").fill(CITIZEN_PASSWORD)
    page.locator("#id_consent").check()
    shot(page, f"{prefix}01-register")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите номер телефона")
    code = outbox_wait(outbox / "sms", to=phone, pattern=r"регистрации на портале ОМС: (\d{6})\.", seen=seen)
    page.get_by_label("Код из SMS").fill(code.group(1))
    shot(page, f"{prefix}02-phone-code")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Телефон подтверждён")
    link = outbox_wait(outbox / "email", to=email, pattern=r"https?://\S+(/accounts/register/email/\S+/)", seen=seen)
    page.goto(base + link.group(1))
    page.get_by_role("button", name="Подтвердить адрес").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Электронная почта подтверждена")
    shot(page, f"{prefix}03-email-confirmed")


def log_in(
    page: Page, *, base: str, outbox: Path, seen: set[str], login: str, phone: str, next_path: str = "/cabinet/"
):
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("Телефон, e-mail или СНИЛС").fill(login)
    page.locator("#id_password").fill(CITIZEN_PASSWORD)
    page.get_by_role("button", name="Войти").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите вход")
    shot(page, "login-code")  # the code step is a citizen page too: axe checks it on audited runs
    code = outbox_wait(outbox / "sms", to=phone, pattern=r"входа на портал ОМС: (\d{6})\.", seen=seen)
    page.locator("#id_token").fill(code.group(1))
    page.get_by_role("button", name="Подтвердить").click()


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def staff_log_in(page: Page, *, base: str, staff, device, next_path: str) -> None:
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", STAFF_PASSWORD)
    page.fill("#id_otp_token", totp_token(device))
    page.get_by_role("button", name="Войти").click()
