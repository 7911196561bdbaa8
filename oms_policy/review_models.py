"""Review of policy-update requests: the managed list of rejection reasons, the reasons chosen per
decision, reviewers' internal notes, support operators' call notes and the look-up audit log.

Imported at the end of oms_policy/models.py so Django finds the models in the app's models module.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oms_policy.constants import DocumentSlot


class ReasonSubject(models.TextChoices):
    """What a rejection reason is about: one of the request's documents, or one of its fields."""

    PASSPORT_PHOTO = DocumentSlot.PASSPORT_PHOTO.value, DocumentSlot.PASSPORT_PHOTO.label
    PASSPORT_REGISTRATION = DocumentSlot.PASSPORT_REGISTRATION.value, DocumentSlot.PASSPORT_REGISTRATION.label
    CURRENT_POLICY = DocumentSlot.CURRENT_POLICY.value, DocumentSlot.CURRENT_POLICY.label
    REASON_DOCUMENT = DocumentSlot.REASON_DOCUMENT.value, DocumentSlot.REASON_DOCUMENT.label
    PERSONAL_DATA = "personal_data", _("Личные данные (ФИО, пол, дата рождения)")
    CURRENT_POLICY_NUMBER = "current_policy_number", _("Номер текущего полиса")
    REGION = "region", _("Регион")
    INSURANCE_COMPANY = "new_insurance_company", _("Новая СМО")
    SMO_CHANGE_REASON = "smo_change_reason", _("Причина смены СМО")
    OTHER = "other", _("Заявка в целом")


class RejectionReason(models.Model):
    """One reason from the managed list; `text` is what the citizen reads."""

    code = models.SlugField(_("код"), max_length=50, unique=True)
    text = models.CharField(_("текст для гражданина"), max_length=300)
    subject = models.CharField(_("о чём"), max_length=32, choices=ReasonSubject.choices)
    is_active = models.BooleanField(_("используется"), default=True)
    position = models.PositiveSmallIntegerField(_("порядок"), default=100)

    class Meta:
        verbose_name = _("причина отказа")
        verbose_name_plural = _("причины отказа")
        ordering = ["position", "text"]

    def __str__(self) -> str:
        return self.text


class DecisionReason(models.Model):
    """A reason chosen for one rejection (its StatusChange); the text is copied as it was then."""

    status_change = models.ForeignKey(
        "oms_policy.StatusChange", on_delete=models.CASCADE, related_name="reasons", verbose_name=_("решение")
    )
    reason = models.ForeignKey(RejectionReason, on_delete=models.PROTECT, related_name="+", verbose_name=_("причина"))
    subject = models.CharField(_("о чём"), max_length=32, choices=ReasonSubject.choices)
    text = models.CharField(_("текст"), max_length=300)

    class Meta:
        verbose_name = _("причина в решении")
        verbose_name_plural = _("причины в решении")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


class InternalNote(models.Model):
    """A reviewer's note on a request. Never shown to the citizen (no citizen view reads this table)."""

    request = models.ForeignKey(
        "oms_policy.PolicyRequest", on_delete=models.CASCADE, related_name="internal_notes", verbose_name=_("заявка")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("автор")
    )
    text = models.TextField(_("текст"))
    created_at = models.DateTimeField(_("когда"), default=timezone.now)

    class Meta:
        verbose_name = _("внутренняя заметка")
        verbose_name_plural = _("внутренние заметки")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "created_at"], name="internalnote_request_created")]

    def __str__(self) -> str:
        return self.text[:50]


class CallNote(models.Model):
    """A support operator's note about a call on a request (seen by staff only)."""

    request = models.ForeignKey(
        "oms_policy.PolicyRequest", on_delete=models.CASCADE, related_name="call_notes", verbose_name=_("заявка")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("оператор")
    )
    text = models.TextField(_("текст"))
    created_at = models.DateTimeField(_("когда"), default=timezone.now)

    class Meta:
        verbose_name = _("заметка о звонке")
        verbose_name_plural = _("заметки о звонках")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "created_at"], name="callnote_request_created")]

    def __str__(self) -> str:
        return self.text[:50]


class RequestLookup(models.Model):
    """Audit log of the support look-up: who typed which number, when, and what it found."""

    at = models.DateTimeField(_("когда"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("сотрудник")
    )
    # Digits only, at most the length of a number: the typed text may not be a number at all.
    query = models.CharField(_("номер"), max_length=32)
    request = models.ForeignKey(
        "oms_policy.PolicyRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("найдена заявка"),
    )
    ip_address = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)

    class Meta:
        verbose_name = _("поиск заявки поддержкой")
        verbose_name_plural = _("журнал поиска заявок")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M} {self.query}"
