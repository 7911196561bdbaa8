"""Writes for documents: upload, delete, copy to a new draft, the scan check, previews, retention."""

from __future__ import annotations

import datetime
import logging
import shutil
import tempfile
import time
import unicodedata
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.tasking import enqueue_on_commit
from documents.antivirus import antivirus_scan
from documents.constants import VERDICTS_FILE_DELETED, DocumentStatus, Verdict
from documents.inspection import file_inspect
from documents.models import Document, document_preview_upload_to, document_upload_to
from documents.scan import FileUnreadable, image_check, pdf_scan, preview_make
from documents.selectors import document_slot_open, documents_size_total
from oms_policy.constants import FINAL_STATUSES, RequestStatus
from oms_policy.models import PolicyRequest

logger = logging.getLogger(__name__)

# Characters that change how a name is shown without being seen: bidi overrides and isolates
# («photo<U+202E>gpj.exe»), zero-width marks, and the rest of Unicode's format (Cf) and control (Cc) classes.
_NAME_MAX = 255


def document_display_name(name: str) -> str:
    """The citizen's file name as display text: no folders, no control or bidi characters, trimmed.

    It is never used as a path (the storage name is a UUID) and templates escape it anyway.
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in {"Cc", "Cf"})
    name = name.strip().lstrip(".").strip()
    if len(name) > _NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: _NAME_MAX - len(extension) - 1] + dot + extension) if dot and len(extension) < 10 else name
        name = name[:_NAME_MAX]
    return name or _("файл")


def _slot_refused(*, request: PolicyRequest, user, slot: str) -> None:
    if request.applicant_id != getattr(user, "pk", None):
        raise ValidationError(_("Это не ваша заявка."), code="not_owner")
    if not document_slot_open(request=request, slot=slot):
        if request.status in (RequestStatus.DRAFT, RequestStatus.DOCUMENTS_REQUESTED):
            raise ValidationError(_("Этот документ в заявке не нужен."), code="slot_closed")
        raise ValidationError(
            _("Заявка уже отправлена: документы в ней менять нельзя, пока проверяющий не попросит."),
            code="request_closed",
        )


def document_upload(*, request: PolicyRequest, slot: str, uploaded_file: UploadedFile, user) -> Document:
    """Check one uploaded file and keep it as a document of `request` in `slot`.

    Before: `user` is the request's applicant; the request is a draft and `slot` is one of its
    slots (oms_policy.services.policy_request_document_slots), or documents were requested and
    `slot` is among `request.requested_slots` (then the document is marked new for the reviewer).
    The file passes documents.inspection (type by content, pixel limit, corrupt files, PDF active
    content) and the size limits (settings.DOCUMENT_MAX_BYTES per file, DOCUMENT_REQUEST_MAX_BYTES per
    request, DOCUMENT_MAX_FILES_PER_SLOT). After: the file is in private storage under a UUID name
    and a Document row in «проверяется» exists. Schedules `scan_check_task` after commit.
    Raises ValidationError (a plain Russian message) and keeps nothing otherwise.
    """
    _slot_refused(request=request, user=user, slot=slot)
    limit = settings.DOCUMENT_MAX_BYTES
    if uploaded_file.size is None or uploaded_file.size > limit:
        raise ValidationError(
            _("Файл больше %(limit)s. Сожмите снимок или отсканируйте с меньшим разрешением.")
            % {"limit": filesizeformat(limit)},
            code="too_large",
        )
    inspected = file_inspect(file=uploaded_file)
    with transaction.atomic():
        locked = PolicyRequest.objects.select_for_update().get(pk=request.pk)
        # The request may have been sent or decided while the file streamed in.
        _slot_refused(request=locked, user=user, slot=slot)
        in_slot = Document.objects.filter(request=locked, slot=slot, file_deleted_at=None).count()
        if in_slot >= settings.DOCUMENT_MAX_FILES_PER_SLOT:
            raise ValidationError(
                _("К этому документу можно приложить не больше %(limit)s файлов. Удалите лишний файл.")
                % {"limit": settings.DOCUMENT_MAX_FILES_PER_SLOT},
                code="too_many_files",
            )
        total_limit = settings.DOCUMENT_REQUEST_MAX_BYTES
        if documents_size_total(request=locked) + uploaded_file.size > total_limit:
            raise ValidationError(
                _("Все файлы заявки вместе должны быть не больше %(limit)s. Удалите лишние файлы или сожмите снимок.")
                % {"limit": filesizeformat(total_limit)},
                code="request_too_large",
            )
        document = Document(
            request=locked,
            slot=slot,
            uploaded_by=user,
            original_name=document_display_name(uploaded_file.name or ""),
            content_type=inspected.content_type,
            size=uploaded_file.size,
            status=DocumentStatus.CHECKING,
            is_new_for_review=locked.status == RequestStatus.DOCUMENTS_REQUESTED,
        )
        uploaded_file.seek(0)
        document.file.save(document_upload_to(document, ""), uploaded_file, save=False)
        try:
            document.save()
        except BaseException:
            document.file.storage.delete(document.file.name)
            raise
        enqueue_on_commit(_scan_check_task(), document.pk)
    return document


def _scan_check_task():
    from documents.tasks import scan_check_task

    return scan_check_task


def _preview_task():
    from documents.tasks import document_preview_task

    return document_preview_task


def _files_delete_on_commit(storage, names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            if name:
                try:
                    storage.delete(name)
                except Exception:  # the retention sweep deletes what is left; never fail the citizen's action
                    logger.exception("could not delete a document file; left for the retention sweep")

    transaction.on_commit(delete)


def document_delete(*, document: Document, user) -> None:
    """Remove a document and its files while its slot can still be changed.

    Before: `user` is the applicant and the slot is open (draft; or documents requested, the slot
    asked for, and the file uploaded since — files the reviewer has seen stay). After: the row is
    gone and its files are deleted after commit. Raises ValidationError otherwise.
    """
    with transaction.atomic():
        locked = PolicyRequest.objects.select_for_update().get(pk=document.request_id)
        _slot_refused(request=locked, user=user, slot=document.slot)
        if locked.status == RequestStatus.DOCUMENTS_REQUESTED and not document.is_new_for_review:
            raise ValidationError(
                _("Этот файл проверяющий уже видел, его нельзя удалить. Загрузите новый файл рядом с ним."),
                code="seen_by_reviewer",
            )
        # The row as it is now: the scan check may have swapped in the clean copy and added a preview.
        current = Document.objects.select_for_update().filter(pk=document.pk).first()
        if current is None:
            return
        current.delete()
        _files_delete_on_commit(current.file.storage, [current.file.name, current.preview.name])


def document_replace(*, document: Document, uploaded_file: UploadedFile, user) -> Document:
    """Upload a new file into `document`'s slot and remove `document` (a failed scan), in one step.

    Before: `document` may be deleted by `user` (document_delete's rule) and the new file may be
    uploaded (document_upload's rules). After: the new document exists and the old one is gone;
    other files of the slot are untouched. Schedules the new file's scan check. Raises
    ValidationError and changes nothing otherwise.
    """
    request = document.request
    _slot_refused(request=request, user=user, slot=document.slot)
    if request.status == RequestStatus.DOCUMENTS_REQUESTED and not document.is_new_for_review:
        raise ValidationError(
            _("Этот файл проверяющий уже видел, его нельзя заменить. Загрузите новый файл рядом с ним."),
            code="seen_by_reviewer",
        )
    with transaction.atomic():
        # The old file leaves first, so it does not count against the slot's and the request's limits.
        document_delete(document=document, user=user)
        return document_upload(request=request, slot=document.slot, uploaded_file=uploaded_file, user=user)


def documents_copy(*, source_request: PolicyRequest, target_request: PolicyRequest, user) -> int:
    """Copy the passed scans of `source_request` into the draft `target_request` («Подать повторно»).

    Before: `user` is the applicant of both; the target is a draft. Only documents whose check
    passed and whose file still exists are copied, and only into slots the target needs. After: each
    copy is a new Document (new UUID, its own copy of the file and preview, the same verdict and
    figures). Returns how many were copied. Schedules previews that the source did not have yet.
    """
    if source_request.applicant_id != user.pk or target_request.applicant_id != user.pk:
        raise ValidationError(_("Это не ваша заявка."), code="not_owner")
    copied = 0
    with transaction.atomic():
        target = PolicyRequest.objects.select_for_update().get(pk=target_request.pk)
        if target.status != RequestStatus.DRAFT:
            raise ValidationError(_("Документы можно перенести только в черновик заявки."), code="not_draft")
        sources = Document.objects.filter(
            request=source_request, status=DocumentStatus.PASSED, file_deleted_at=None
        ).order_by("uploaded_at", "pk")
        stored_names: list[str] = []
        storage = Document._meta.get_field("file").storage
        try:
            for source in sources:
                if not document_slot_open(request=target, slot=source.slot):
                    continue
                copy = Document(
                    request=target,
                    slot=source.slot,
                    uploaded_by=user,
                    original_name=source.original_name,
                    content_type=source.content_type,
                    size=source.size,
                    status=DocumentStatus.PASSED,
                    verdict=source.verdict,
                    verdict_code=source.verdict_code,
                    metrics=source.metrics,
                    checked_at=source.checked_at,
                )
                with source.file.open("rb") as handle:
                    copy.file.save(document_upload_to(copy, ""), handle, save=False)
                stored_names.append(copy.file.name)
                if source.preview:
                    with source.preview.open("rb") as handle:
                        copy.preview.save(document_preview_upload_to(copy, ""), handle, save=False)
                    stored_names.append(copy.preview.name)
                copy.save()
                if not copy.preview:
                    enqueue_on_commit(_preview_task(), copy.pk)
                copied += 1
        except BaseException:
            for name in stored_names:
                storage.delete(name)
            raise
    return copied


# --- the scan check ----------------------------------------------------------------------------


def _local_copy(storage, name: str) -> IO[bytes]:
    """The stored file as a local seekable file: opened where it lies on a local disk, else copied (S3)."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        path = None
    if path is not None:
        return open(path, "rb")  # noqa: SIM115 - returned to the caller
    local = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller
    with storage.open(name, "rb") as remote:
        shutil.copyfileobj(remote, local, 256 * 1024)
    local.seek(0)
    return local


def scan_check(*, document_id: int) -> str:
    """Check a stored document: antivirus (when configured), full decode, readability; keep a clean copy.

    Before: the document is «проверяется» with its file in storage (anything else: returns
    "skipped" and changes nothing — safe to run twice). After: status passed or failed, with the
    verdict (Russian text and code), the measured figures and `checked_at`; an image's stored file
    is replaced by its re-encoded clean copy (no EXIF/GPS, nothing appended); a corrupt or infected
    file is deleted at once (`file_deleted_at`). Schedules `document_preview_task` after commit when
    a file remains. Raises documents.antivirus.ScannerUnavailable when the antivirus gives no
    verdict: the document stays «проверяется» (the task retries).
    """
    document = Document.objects.filter(pk=document_id, status=DocumentStatus.CHECKING, file_deleted_at=None).first()
    if document is None or not document.file:
        return "skipped"
    storage = document.file.storage
    original_name = document.file.name
    if not storage.exists(original_name):
        # Nothing to check (lost from storage): say so instead of retrying for ever.
        with translation.override("ru"):
            verdict_text = str(Verdict.CORRUPT.label)
        Document.objects.filter(pk=document.pk, status=DocumentStatus.CHECKING, file=original_name).update(
            status=DocumentStatus.FAILED,
            verdict=verdict_text,
            verdict_code=Verdict.CORRUPT,
            checked_at=timezone.now(),
            file_deleted_at=timezone.now(),
        )
        return str(Verdict.CORRUPT)
    metrics: dict = {}
    clean: IO[bytes] | None = None
    # The checked file stays open until the clean copy is written: a PNG's copy is read from it.
    with _local_copy(storage, original_name) as local:
        signature = antivirus_scan(file=local)
        if signature:
            verdict = Verdict.INFECTED
            metrics = {"antivirus": signature}
        else:
            try:
                if document.content_type == "application/pdf":
                    outcome = pdf_scan(local)
                else:
                    outcome, clean = image_check(local, document.content_type)
                verdict, metrics = outcome.verdict, outcome.metrics
            except FileUnreadable:
                verdict = Verdict.CORRUPT
        now = timezone.now()
        with translation.override("ru"):
            verdict_text = str(Verdict(verdict).label)
        changes: dict = {
            "status": DocumentStatus.PASSED if verdict == Verdict.READABLE else DocumentStatus.FAILED,
            "verdict": verdict_text,
            "verdict_code": verdict,
            "metrics": metrics,
            "checked_at": now,
        }
        clean_name = ""
        file_goes = verdict in VERDICTS_FILE_DELETED
        if file_goes:
            changes["file_deleted_at"] = now
        elif clean is not None:
            # One name per original: a run killed before its commit (a worker SIGKILLed, then the task
            # redelivered) left a copy nothing refers to — replace it instead of leaving a citizen's
            # scan behind in storage (portal/tests/prove/test_scan_worker_killed.py).
            clean_name = f"{original_name}.clean"
            if storage.exists(clean_name):
                storage.delete(clean_name)
            with clean:
                clean_name = storage.save(clean_name, clean)
            changes["file"] = clean_name
            changes["size"] = storage.size(clean_name)
    pause = getattr(settings, "SCAN_CHECK_TEST_PAUSE_SECONDS", 0)  # defined only in test settings
    if pause:
        time.sleep(pause)
    # One conditional UPDATE is the claim and the write (compare-and-set): outside a transaction it
    # commits by itself, one round trip instead of three (BEGIN … UPDATE … COMMIT); the on-commit
    # work below then runs at once, or at the caller's commit when there is one.
    claimed = Document.objects.filter(
        pk=document.pk, status=DocumentStatus.CHECKING, file_deleted_at=None, file=original_name
    ).update(**changes)
    if not claimed:
        # Another run finished first: keep its result, drop what this one made (unless the
        # winner's row points at the same name).
        if clean_name and not Document.objects.filter(pk=document.pk, file=clean_name).exists():
            storage.delete(clean_name)
        return "skipped"
    if file_goes or clean_name:
        _files_delete_on_commit(storage, [original_name])
    if not file_goes:
        enqueue_on_commit(_preview_task(), document.pk)
    return str(verdict)


def document_preview_make(*, document_id: int) -> bool:
    """Make the small JPEG preview of a checked document that has a file and no preview yet.

    Safe to run twice: a document with a preview (or still checking, or without a file) is left
    alone. Returns whether a preview was stored.
    """
    document = (
        Document.objects.filter(pk=document_id, file_deleted_at=None, preview="")
        .exclude(status=DocumentStatus.CHECKING)
        .first()
    )
    if document is None or not document.file:
        return False
    storage = document.preview.storage
    try:
        with _local_copy(storage, document.file.name) as local:
            out = preview_make(file=local, content_type=document.content_type)
    except FileUnreadable:
        return False
    if out is None:
        return False
    with out:
        name = storage.save(document_preview_upload_to(document, ""), out)
    if not Document.objects.filter(pk=document.pk, preview="", file_deleted_at=None).update(preview=name):
        storage.delete(name)
        return False
    return True


def documents_scan_check_resume(*, now: datetime.datetime | None = None, older_than_seconds: int = 300) -> int:
    """Enqueue the scan check again for documents left «проверяется» (a broker or scanner outage).

    Only documents uploaded in the last day: one that no check could finish by then (a scanner down
    for a day, a file that always times out) stays «проверяется» — never passed — and the citizen
    can replace it. Returns how many were enqueued; the check itself is safe to run twice.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Document.objects.filter(
            status=DocumentStatus.CHECKING,
            file_deleted_at=None,
            uploaded_at__lt=cutoff,
            uploaded_at__gte=now - datetime.timedelta(days=1),
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for document_id in ids:
        enqueue_on_commit(_scan_check_task(), document_id)
    return len(ids)


def documents_retention_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of requests decided more than DOCUMENT_RETENTION_DAYS ago (152-FZ).

    A request counts as decided when its status is final (policy issued, rejected, withdrawn,
    expired); the period runs from its last status change. The Document rows stay, with name, slot,
    size, verdict and `file_deleted_at`, as the record that the scans existed. Safe to run twice:
    a rerun finds no file left and returns 0. Returns how many documents lost their files.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.DOCUMENT_RETENTION_DAYS)
    decided = (
        PolicyRequest.objects.filter(status__in=FINAL_STATUSES)
        .annotate(last_change_at=Max("status_changes__at"))
        .filter(last_change_at__lt=cutoff)
        .values("pk")
    )
    purged = 0
    storage = Document._meta.get_field("file").storage
    documents = Document.objects.filter(request__in=decided, file_deleted_at=None).only("pk", "file", "preview")
    for document in documents.iterator(chunk_size=200):
        for name in (document.file.name, document.preview.name):
            if name:
                storage.delete(name)
        purged += Document.objects.filter(pk=document.pk, file_deleted_at=None).update(
            file_deleted_at=now, file="", preview=""
        )
    return purged
