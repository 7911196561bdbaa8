"""A real Celery worker issues the policy; killed with SIGKILL between writing the PDF and committing,
the task is delivered again to a new worker, which issues exactly one policy and one PDF."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from conftest import BASE_DIR, _database_url_for_subprocess
from oms_policy.constants import ActorRole, PolicyStatus, RequestStatus
from oms_policy.models import Policy, PolicyDocument, PolicyRequest, StatusChange
from oms_policy.services import policy_request_transition
from oms_policy.tests.conftest import pdf_files
from oms_policy.tests.factories import PolicyFactory, PolicyRequestFactory

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]


def _wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Workers:
    """Start `celery worker` processes on one private queue; whatever is still running is stopped at the end."""

    def __init__(self, *, redis_url: str, var_dir: Path, log_dir: Path) -> None:
        self.queue = f"test-policy-{os.getpid()}-{time.monotonic_ns()}"
        self.redis_url = redis_url
        self.var_dir = var_dir
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, **extra_env: str) -> subprocess.Popen:
        from portal.celery import app

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": _database_url_for_subprocess(),
            "REDIS_URL": self.redis_url,
            "VAR_DIR": str(self.var_dir),
            # A message taken by a dead worker goes to the next one after 2 s (an hour in production).
            "CELERY_VISIBILITY_TIMEOUT": "2",
            **extra_env,
        }
        name = f"{self.queue}-{len(self.processes)}@{os.uname().nodename}"
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--loglevel=INFO"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", self.queue, "-n", name],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log  # type: ignore[attr-defined]
        self.processes.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.ping(destination=[name], timeout=1):
                return process
            if process.poll() is not None:
                break
        self.stop_all()
        pytest.fail(f"celery worker did not start: {(self.log_dir / 'worker-0.log').read_text()[-3000:]}")

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
            process.log.close()  # type: ignore[attr-defined]


@pytest.fixture
def workers(transactional_db, redis_url, postgres, tmp_path, settings):
    from portal.celery import app

    var_dir = tmp_path / "worker-var"
    private = var_dir / "test-private"
    private.mkdir(parents=True)
    # The test reads the files the workers write (portal.settings.test puts them under VAR_DIR).
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(private)}},
    }
    manager = Workers(redis_url=redis_url, var_dir=var_dir, log_dir=tmp_path)
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = manager.queue
    try:
        yield manager
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        manager.stop_all()


def _approve(*, reviewer) -> PolicyRequest:
    current = PolicyFactory(enp="8451999122899990")
    request = PolicyRequestFactory(applicant=current.holder, status=RequestStatus.IN_REVIEW, reviewer=reviewer)
    # Autocommit (a transactional test): the task is published to the broker as the transaction commits.
    policy_request_transition(
        request_id=request.pk, new_status=RequestStatus.APPROVED, actor=reviewer, role=ActorRole.REVIEWER
    )
    return request


def test_a_real_worker_issues_the_policy(workers, reviewer):
    workers.start(TEST_POLICY_WORKER_WARM_UP="1")
    request = _approve(reviewer=reviewer)
    _wait_for(
        lambda: PolicyRequest.objects.get(pk=request.pk).status == RequestStatus.POLICY_ISSUED,
        timeout=60,
        what="the policy",
    )
    document = PolicyDocument.objects.get(request=request)
    private = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    assert pdf_files(private) == [private / document.file.name]


def test_a_worker_killed_mid_task_leaves_exactly_one_policy_and_one_pdf(workers, reviewer):
    private = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    first = workers.start(TEST_POLICY_ISSUE_PAUSE_SECONDS="60")
    request = _approve(reviewer=reviewer)
    # The first worker wrote the PDF and now waits before its commit: kill it there.
    written = _wait_for(lambda: pdf_files(private), timeout=60, what="the first worker's PDF file")
    workers.kill(first)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert PolicyDocument.objects.count() == 0
    assert Policy.objects.get(holder=request.applicant).status == PolicyStatus.ACTIVE  # the old one, untouched
    orphan = written[0].read_bytes()

    workers.start()  # no pause: the message comes back to this worker after the visibility timeout
    _wait_for(
        lambda: PolicyRequest.objects.get(pk=request.pk).status == RequestStatus.POLICY_ISSUED,
        timeout=90,
        what="the redelivered task",
    )
    document = PolicyDocument.objects.get()
    assert document.request_id == request.pk
    files = pdf_files(private)
    assert files == written == [private / document.file.name]
    assert files[0].read_bytes() != orphan
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == document.sha256
    assert Policy.objects.filter(holder=request.applicant, status=PolicyStatus.ACTIVE).count() == 1
    assert Policy.objects.filter(holder=request.applicant, status=PolicyStatus.REPLACED).count() == 1
    assert StatusChange.objects.filter(request=request, new_status=RequestStatus.POLICY_ISSUED).count() == 1
