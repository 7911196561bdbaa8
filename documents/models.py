"""Scans attached to a policy-update request. Files live in STORAGES["private"] (a folder under
var/ or an S3 bucket), never under a public URL; they are served by documents.views after a check
of who asks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.constants import DocumentStatus, Verdict
from oms_policy.constants import DocumentSlot


class PrivateStorage(Storage):
    """STORAGES["private"] looked up on every call, not once when the model class is built.

    A FileField resolves a callable storage at import time; this stand-in keeps the setting live,
    so a deployment (or a test) that changes STORAGES — the disk, or an S3 bucket — is obeyed.
    """

    @property
    def backend(self) -> Storage:
        from django.core.files.storage import storages

        return storages["private"]

    def open(self, name, mode="rb"):
        return self.backend.open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend.save(name, content, max_length=max_length)

    def delete(self, name):
        return self.backend.delete(name)

    def exists(self, name):
        return self.backend.exists(name)

    def size(self, name):
        return self.backend.size(name)

    def url(self, name):
        return self.backend.url(name)

    def path(self, name):
        return self.backend.path(name)

    def listdir(self, path):
        return self.backend.listdir(path)

    def get_valid_name(self, name):
        return self.backend.get_valid_name(name)

    def get_available_name(self, name, max_length=None):
        return self.backend.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend.generate_filename(filename)

    def get_modified_time(self, name):
        return self.backend.get_modified_time(name)


_PRIVATE_STORAGE = PrivateStorage()


def _private_storage() -> Storage:
    return _PRIVATE_STORAGE


def document_upload_to(instance: Document, filename: str) -> str:
    # The citizen's file name never reaches the storage: a UUID does.
    return f"documents/{instance.uuid.hex[:2]}/{instance.uuid.hex}"


def document_preview_upload_to(instance: Document, filename: str) -> str:
    return f"previews/{instance.uuid.hex[:2]}/{instance.uuid.hex}.jpg"


class Document(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(
        "oms_policy.PolicyRequest", on_delete=models.CASCADE, related_name="documents", verbose_name=_("заявка")
    )
    slot = models.CharField(_("документ"), max_length=32, choices=DocumentSlot.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("файл"), storage=_private_storage, upload_to=document_upload_to, max_length=200)
    # Display text only (escaped wherever shown); never used as a path.
    original_name = models.CharField(_("имя файла"), max_length=255)
    content_type = models.CharField(_("тип"), max_length=50)
    size = models.PositiveIntegerField(_("размер, байт"))
    status = models.CharField(
        _("проверка"), max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.CHECKING, db_index=True
    )
    # The scan check's verdict for the citizen («Скан размыт: …») and its measured figures.
    verdict = models.CharField(_("заключение"), max_length=300, blank=True)
    verdict_code = models.CharField(_("код заключения"), max_length=20, choices=Verdict.choices, blank=True)
    metrics = models.JSONField(_("измерения"), default=dict, blank=True)
    # Uploaded after the reviewer asked for documents: shown to the reviewer as new.
    is_new_for_review = models.BooleanField(_("новый для проверяющего"), default=False)
    uploaded_at = models.DateTimeField(_("загружен"), auto_now_add=True)
    checked_at = models.DateTimeField(_("проверен"), null=True, blank=True)
    # A small JPEG of the first page for the reviewer's list and the citizen's slot (made by a task).
    preview = models.FileField(
        _("миниатюра"), storage=_private_storage, upload_to=document_preview_upload_to, max_length=200, blank=True
    )
    # The file is gone (refused by the check, or deleted after the retention period); the row stays
    # as the record that the document existed.
    file_deleted_at = models.DateTimeField(_("файл удалён"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("документ")
        verbose_name_plural = _("документы")
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["request", "slot"], name="document_request_slot")]

    def __str__(self) -> str:
        return f"{self.get_slot_display()}: {self.original_name}"
