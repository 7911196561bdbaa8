"""The identity video plays back with its length and can be sought (issue 6, point 10).

A browser's MediaRecorder writes a WebM without a Duration (it streams as it records): players show
no length («Infinity») and their scrubber is useless. The upload gets the Duration written into its
header; the verifier's and the citizen's players are served byte ranges (206), so they can seek.
The sample is a real recording: Chromium's fake camera through MediaRecorder, 1.5 s at 160×120.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.constants import VerificationStatus
from accounts.models import IdentityVerification
from accounts.tests.admin_helpers import WEBM_BYTES, standard_citizen_make, verified_staff_client
from documents.video_structure import webm_duration_seconds, webm_with_duration

pytestmark = pytest.mark.django_db

RECORDED = (Path(__file__).parent / "fixtures" / "mediarecorder-fake-camera.webm").read_bytes()
IDENTITY_URL = "/accounts/identity/"
KEPT_URL = "/accounts/identity/kept-video/"
DURATION_ID = b"\x44\x89\x88"


def _form(**overrides) -> dict:
    return {
        "passport_series": "45 10",
        "passport_number": "123456",
        "passport_issued_at": "2015-03-15",
        "passport_division_code": "770-001",
        "snils": "112-233-445 95",
        **overrides,
    }


def _upload(content: bytes = RECORDED) -> SimpleUploadedFile:
    return SimpleUploadedFile("запись.webm", content, content_type="video/webm")


def _duration_ms(data: bytes) -> float:
    at = data.index(DURATION_ID)
    return struct.unpack(">d", data[at + 3 : at + 11])[0]


def test_the_recording_has_no_duration_and_gets_one_from_its_last_frame():
    assert DURATION_ID not in RECORDED
    assert webm_duration_seconds(io.BytesIO(RECORDED), size=len(RECORDED)) == pytest.approx(1.45, abs=0.1)
    out = io.BytesIO()
    assert webm_with_duration(io.BytesIO(RECORDED), size=len(RECORDED), out=out) is True
    fixed = out.getvalue()
    assert _duration_ms(fixed) == pytest.approx(1450, abs=100)
    # Only Info grew (its 8-byte size and the 11-byte Duration); every frame is byte for byte the same.
    cluster = b"\x1f\x43\xb6\x75"
    assert fixed[fixed.index(cluster) :] == RECORDED[RECORDED.index(cluster) :]
    # Written once: a file that has its Duration is left alone.
    assert webm_with_duration(io.BytesIO(fixed), size=len(fixed), out=io.BytesIO()) is False


def test_a_file_it_cannot_read_is_stored_as_it_came():
    assert webm_with_duration(io.BytesIO(WEBM_BYTES), size=len(WEBM_BYTES), out=io.BytesIO()) is False


def test_the_sent_video_is_stored_with_its_duration_and_served_in_ranges(verifier):
    citizen = standard_citizen_make()
    client = Client()
    client.force_login(citizen)
    assert client.post(IDENTITY_URL, {**_form(), "video": _upload()}).status_code == 302
    verification = IdentityVerification.objects.get(user=citizen, status=VerificationStatus.PENDING)
    with default_storage.open(verification.video.name, "rb") as handle:
        stored = handle.read()
    assert _duration_ms(stored) == pytest.approx(1450, abs=100)
    assert verification.video_size == len(stored) == len(RECORDED) + 18

    staff = verified_staff_client(verifier)
    url = reverse("admin:accounts_identityverification_video", args=[verification.pk])
    middle = staff.get(url, headers={"Range": "bytes=5000-5999"})
    assert middle.status_code == 206
    assert middle["Content-Range"] == f"bytes 5000-5999/{len(stored)}"
    assert b"".join(middle.streaming_content) == stored[5000:6000]


def test_a_kept_video_plays_back_to_its_owner_only(client):
    citizen = standard_citizen_make()
    client.force_login(citizen)
    response = client.post(IDENTITY_URL, {**_form(snils="112-233-445 96"), "video": _upload()})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="identity-video-kept-player" controls preload="metadata"' in html
    assert f'src="{KEPT_URL}"' in html

    whole = client.get(KEPT_URL)
    assert whole.status_code == 200
    kept = b"".join(whole.streaming_content)
    assert _duration_ms(kept) == pytest.approx(1450, abs=100)
    assert whole["Content-Type"] == "video/webm"
    assert whole["Accept-Ranges"] == "bytes"
    assert "no-store" in whole["Cache-Control"]
    part = client.get(KEPT_URL, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == kept[100:200]

    # Another citizen gets their own (none), never this one; a visitor is sent to log in.
    other = Client()
    other.force_login(standard_citizen_make())
    assert other.get(KEPT_URL).status_code == 404
    anonymous = Client().get(KEPT_URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/accounts/login/?next={KEPT_URL}"

    # Once sent, nothing is kept any more.
    assert (
        client.post(IDENTITY_URL, {**_form(), "video_token": response.context["form"].data["video_token"]}).status_code
        == 302
    )
    assert client.get(KEPT_URL).status_code == 404
