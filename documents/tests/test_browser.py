"""In headless Chromium, with a real Celery worker doing the scan checks: pick files, watch the
progress bar, see the verdict appear while the page polls, replace the failed scan on its own, and
drop a file onto a slot."""

from __future__ import annotations

import base64
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from documents.models import Document
from documents.tests.conftest import SAMPLES, worker_storage_clean
from oms_policy.tests.factories import PolicyRequestFactory

BLURRY = "Скан размыт: переснимите при хорошем освещении, держите телефон неподвижно"


def _log_in(page, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": page.live_server_url, "httpOnly": True}]
    )


@pytest.mark.browser
@pytest.mark.worker
def test_upload_progress_verdict_replace_and_drop(page, worker_storage, celery_worker, citizen):
    draft = PolicyRequestFactory(applicant=citizen)
    _log_in(page, citizen)
    try:
        page.goto(f"{page.live_server_url}/documents/request/{draft.pk}/")
        photo = page.locator('[data-doc-slot="passport_photo"]')
        expect(photo.get_by_text("Формат: фотография или скан в JPEG, PNG или PDF.")).to_be_visible()
        expect(photo.locator("[data-no-js]")).to_be_hidden()  # with JavaScript a file uploads on pick

        # A slow upload line, so the progress bar has time to be seen.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 150 * 1024},
        )
        photo.locator("#doc-file-passport_photo").set_input_files(
            [str(SAMPLES / "good-passport.jpg"), str(SAMPLES / "blurred.jpg")]
        )
        progress = photo.locator("[data-progress] progress")
        expect(progress).to_be_visible()
        page.wait_for_function(
            "() => { const p = document.querySelector('[data-doc-slot=passport_photo] progress');"
            " return p && p.value > 0 && p.value < 100; }"
        )
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

        # The worker checks both; the page polls and shows the verdict next to the blurred file.
        photo = page.locator('[data-doc-slot="passport_photo"]')
        blurred_item = photo.locator("li.doc-file", has_text="blurred.jpg")
        expect(blurred_item.locator(".doc-file-verdict")).to_have_text(BLURRY, timeout=60_000)
        good_item = photo.locator("li.doc-file", has_text="good-passport.jpg")
        expect(good_item.locator("[data-file-status]")).to_have_text("Скан читается", timeout=60_000)
        expect(photo.locator(".doc-slot-state")).to_contain_text("Нужно заменить")
        good_uuid = good_item.get_attribute("data-document")

        # Replace the failed scan alone: the good page stays as it was.
        blurred_item.locator(".doc-replace-input").set_input_files(str(SAMPLES / "good-registration.png"))
        photo = page.locator('[data-doc-slot="passport_photo"]')
        expect(photo.locator("li.doc-file", has_text="blurred.jpg")).to_have_count(0)
        replacement = photo.locator("li.doc-file", has_text="good-registration.png")
        expect(replacement.locator("[data-file-status]")).to_have_text("Скан читается", timeout=60_000)
        expect(photo.locator(".doc-slot-state")).to_contain_text("Готов")
        expect(photo.locator(f'li[data-document="{good_uuid}"]')).to_have_count(1)

        # Drag and drop onto another slot.
        payload = base64.b64encode((SAMPLES / "good-registration.png").read_bytes()).decode()
        page.evaluate(
            """(payload) => {
                const bytes = Uint8Array.from(atob(payload), c => c.charCodeAt(0));
                const file = new File([bytes], "прописка.png", {type: "image/png"});
                const data = new DataTransfer();
                data.items.add(file);
                const zone = document.querySelector('[data-doc-slot="passport_registration"] [data-drop-zone]');
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
            }""",
            payload,
        )
        registration = page.locator('[data-doc-slot="passport_registration"]')
        expect(registration.locator("li.doc-file", has_text="прописка.png").locator("[data-file-status]")).to_have_text(
            "Скан читается", timeout=60_000
        )
        expect(registration.locator(".doc-file-preview")).to_have_attribute("src", re.compile(r"/preview/$"))
        assert sorted(Document.objects.filter(request=draft).values_list("original_name", "status")) == [
            ("good-passport.jpg", "passed"),
            ("good-registration.png", "passed"),
            ("прописка.png", "passed"),
        ]
    finally:
        worker_storage_clean(worker_storage, Document.objects.filter(request=draft))
