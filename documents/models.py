"""Scans attached to a policy-update request. Files live in STORAGES["private"] (a folder under
var/ or an S3 bucket), never under a public URL; they are served by documents.views after a check
of who asks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.constants import DocumentStatus
from oms_policy.constants import DocumentSlot


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def document_upload_to(instance: Document, filename: str) -> str:
    # The citizen's file name never reaches the storage: a UUID does.
    return f"documents/{instance.uuid.hex[:2]}/{instance.uuid.hex}"


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
    metrics = models.JSONField(_("измерения"), default=dict, blank=True)
    # Uploaded after the reviewer asked for documents: shown to the reviewer as new.
    is_new_for_review = models.BooleanField(_("новый для проверяющего"), default=False)
    uploaded_at = models.DateTimeField(_("загружен"), auto_now_add=True)
    checked_at = models.DateTimeField(_("проверен"), null=True, blank=True)

    class Meta:
        verbose_name = _("документ")
        verbose_name_plural = _("документы")
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["request", "slot"], name="document_request_slot")]

    def __str__(self) -> str:
        return f"{self.get_slot_display()}: {self.original_name}"
