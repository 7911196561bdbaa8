"""Fixtures for the documents tests: sample files, a draft request, uploads through the view."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample_file(name: str, *, as_name: str | None = None, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(as_name or name, sample_bytes(name), content_type=content_type)


def stored_files(settings) -> list[Path]:
    """Every file under the private storage folder (uploads, clean copies, previews)."""
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def draft(citizen):
    from oms_policy.tests.factories import PolicyRequestFactory

    return PolicyRequestFactory(applicant=citizen)


@pytest.fixture
def citizen_client(client, citizen):
    client.force_login(citizen)
    return client


def upload_url(policy_request, slot: str = "passport_photo") -> str:
    return reverse("documents:upload", args=[policy_request.pk, slot])


@pytest.fixture
def upload(citizen_client, draft, django_capture_on_commit_callbacks):
    """POST one or more files as the draft's owner (JSON answer); on-commit tasks run (eagerly)."""

    def post(*files, slot: str = "passport_photo", policy_request=None, client=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or citizen_client).post(
                upload_url(policy_request or draft, slot),
                {"file": list(files), **extra},
                headers={"accept": "application/json", "x-requested-with": "XMLHttpRequest"},
            )

    return post


@pytest.fixture
def worker_storage(settings):
    """The folder a worker process writes to (portal.settings.test's private storage), for this
    process too, so that both see the same files. Tests delete what they stored there."""
    from django.conf import settings as django_settings

    location = Path(django_settings.VAR_DIR) / "test-private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location


def worker_storage_clean(location: Path, documents) -> None:
    for row in documents:
        for name in (row.file.name, row.preview.name, f"documents/{row.uuid.hex[:2]}/{row.uuid.hex}"):
            if name:
                (location / name).unlink(missing_ok=True)
