"""S3-compatible storage by setting alone: the same upload, check, preview, download and delete
against a local S3 server (moto's server mode, started and stopped by the fixture)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from django.urls import reverse

from documents import services
from documents.constants import DocumentStatus
from documents.models import Document
from documents.tests.conftest import sample_file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("moto server did not start")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def s3(s3_server, settings):
    import boto3

    client = boto3.client(
        "s3", endpoint_url=s3_server, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    bucket = f"oms-private-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    s3_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": s3_server,
            "access_key": "test",
            "secret_key": "test",
            "region_name": "us-east-1",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
        },
    }
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage, "private": s3_storage}
    client.bucket = bucket
    return client


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=client.bucket).get("Contents", []))


def test_upload_check_preview_download_and_delete_on_s3(
    s3, upload, citizen, citizen_client, django_capture_on_commit_callbacks
):
    response = upload(sample_file("good-passport.jpg", as_name="../паспорт.jpg"))
    assert response.json()["results"][0]["ok"] is True

    document = Document.objects.get()
    assert document.status == DocumentStatus.PASSED
    # Only the clean copy and the preview, under UUID names; the original is gone.
    assert _keys(s3) == sorted([document.file.name, document.preview.name])
    assert document.file.name.startswith(f"documents/{document.uuid.hex[:2]}/{document.uuid.hex}.")
    stored = s3.get_object(Bucket=s3.bucket, Key=document.file.name)["Body"].read()
    assert stored[:3] == b"\xff\xd8\xff" and b"Exif" not in stored[:64]
    # Private objects: no anonymous read.
    with pytest.raises(Exception, match="403|AccessDenied|Forbidden"):
        urllib.request.urlopen(f"{s3._endpoint.host}/{s3.bucket}/{document.file.name}", timeout=5)

    download = citizen_client.get(reverse("documents:download", args=[document.uuid]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == stored

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=document, user=citizen)
    assert _keys(s3) == []


def test_a_refused_file_leaves_nothing_in_the_bucket(s3, upload):
    response = upload(sample_file("hostile-javascript.pdf"))
    assert response.status_code == 400
    assert _keys(s3) == []
