from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from oms_policy.constants import (
    ActorRole,
    ChangeKind,
    PolicyKind,
    PolicyStatus,
    RequestStatus,
    SmoChangeReason,
)
from oms_policy.validators import validate_enp


class ChoiceLabels:
    """`get_FOO_display()` from a map built once per field.

    Django's own rebuilds a dict from the field's choices on every call, hashing every lazy label —
    a translation per choice: on «Мои заявления» (20 rows, status and kind each) that was 13 % of
    the page's time. The map keeps the lazy labels, so each call still answers in the active
    language.
    """

    def _get_FIELD_display(self, field):  # noqa: N802 (Django's name)
        labels = field.__dict__.get("_portal_choice_labels")
        if labels is None:
            labels = field._portal_choice_labels = dict(field.flatchoices)
        value = getattr(self, field.attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value (a list in a JSON field): Django's way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


class Region(models.Model):
    """A subject of the Russian Federation; `code` is its two-digit ОКАТО code."""

    code = models.CharField(_("код ОКАТО"), max_length=2, unique=True, validators=[RegexValidator(r"^\d{2}$")])
    name = models.CharField(_("название"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("регион")
        verbose_name_plural = _("регионы")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InsuranceCompany(models.Model):
    """A страховая медицинская организация (СМО) working in OMS in one region."""

    federal_code = models.CharField(
        _("федеральный код"), max_length=5, unique=True, validators=[RegexValidator(r"^\d{5}$")]
    )
    name = models.CharField(_("название"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="insurance_companies")
    is_active = models.BooleanField(_("работает в ОМС"), default=True)

    class Meta:
        verbose_name = _("страховая медицинская организация")
        verbose_name_plural = _("страховые медицинские организации")
        ordering = ["name", "federal_code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.federal_code})"


class Policy(models.Model):
    """A citizen's полис ОМС as the register knows it; at most one active per citizen."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policies")
    kind = models.CharField(_("вид"), max_length=20, choices=PolicyKind.choices, default=PolicyKind.UNIFIED)
    enp = models.CharField(_("ЕНП"), max_length=16, blank=True, validators=[validate_enp], db_index=True)
    series = models.CharField(_("серия"), max_length=10, blank=True)
    number = models.CharField(_("номер"), max_length=20, blank=True)
    insurance_company = models.ForeignKey(InsuranceCompany, on_delete=models.PROTECT, related_name="policies")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="policies")
    issued_on = models.DateField(_("дата выдачи"))
    status = models.CharField(
        _("статус"), max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.ACTIVE, db_index=True
    )

    class Meta:
        verbose_name = _("полис ОМС")
        verbose_name_plural = _("полисы ОМС")
        constraints = [
            models.UniqueConstraint(
                fields=["holder"], condition=Q(status="active"), name="one_active_policy_per_holder"
            ),
            models.CheckConstraint(
                condition=~Q(kind="unified") | Q(enp__regex=r"^\d{16}$"), name="unified_policy_has_enp"
            ),
        ]

    def __str__(self) -> str:
        return self.enp or f"{self.series} {self.number}".strip()


class PolicyRequest(ChoiceLabels, models.Model):
    """A citizen's request to update their полис ОМС: a draft until submitted, then a case for review.

    `status` moves only through `oms_policy.services.policy_request_transition` (the table is
    `oms_policy.transitions.TRANSITIONS`). `number` is given at submission
    (`oms_policy.numbers.request_number_generate`).
    """

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_requests", verbose_name=_("заявитель")
    )
    number = models.CharField(_("номер заявки"), max_length=16, unique=True, null=True, blank=True)
    status = models.CharField(
        _("статус"), max_length=24, choices=RequestStatus.choices, default=RequestStatus.DRAFT, db_index=True
    )
    change_kind = models.CharField(_("вид изменения"), max_length=20, choices=ChangeKind.choices, blank=True)
    # The step of the form the citizen reached (drafts resume there).
    draft_step = models.PositiveSmallIntegerField(_("шаг черновика"), default=1)

    # The current policy as the citizen gave it.
    current_policy_kind = models.CharField(
        _("вид текущего полиса"), max_length=20, choices=PolicyKind.choices, blank=True
    )
    current_policy_number = models.CharField(_("номер текущего полиса"), max_length=20, blank=True)
    current_policy_series = models.CharField(_("серия текущего полиса"), max_length=10, blank=True)

    last_name = models.CharField(_("фамилия"), max_length=100, blank=True)
    first_name = models.CharField(_("имя"), max_length=100, blank=True)
    patronymic = models.CharField(_("отчество"), max_length=100, blank=True)
    sex = models.CharField(_("пол"), max_length=10, blank=True)
    birth_date = models.DateField(_("дата рождения"), null=True, blank=True)

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("регион")
    )
    # Data correction: {"field": {"old": ..., "new": ...}, ...}; field names from the form.
    corrections = models.JSONField(_("исправления"), default=dict, blank=True)
    new_insurance_company = models.ForeignKey(
        InsuranceCompany,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("новая СМО"),
    )
    smo_change_reason = models.CharField(
        _("причина смены СМО"), max_length=20, choices=SmoChangeReason.choices, blank=True
    )

    # Review.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("проверяющий"),
    )
    claimed_at = models.DateTimeField(_("взята в работу"), null=True, blank=True)
    decision_due_on = models.DateField(_("срок решения"), null=True, blank=True)
    # Documents requested: the slots (DocumentSlot values), what is needed, and by when.
    requested_slots = models.JSONField(_("запрошенные документы"), default=list, blank=True)
    requested_note = models.TextField(_("что нужно донести"), blank=True)
    documents_due_on = models.DateField(_("срок для документов"), null=True, blank=True)
    # Rejected: the message to the citizen (reasons joined into one text).
    rejection_text = models.TextField(_("причины отказа"), blank=True)
    resubmission_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resubmissions",
        verbose_name=_("повторная подача заявки"),
    )
    # The key of the «Отправить заявку» POST: a resent POST finds the request it already made.
    submit_key = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(_("создана"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменена"), auto_now=True)
    submitted_at = models.DateTimeField(_("подана"), null=True, blank=True)
    decided_at = models.DateTimeField(_("решение принято"), null=True, blank=True)

    class Meta:
        verbose_name = _("заявка на обновление полиса")
        verbose_name_plural = _("заявки на обновление полиса")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="request_applicant_created"),
            models.Index(fields=["status", "submitted_at"], name="request_status_submitted"),
            # The reviewers' queue (issue 9): open requests, oldest first, without touching decided ones.
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status__in=["submitted", "in_review", "documents_requested"]),
                name="request_review_queue",
            ),
            # The queue's two halves, so «unclaimed or mine» is a BitmapOr of two small indexes and the
            # capped count never visits decided rows (bench/review_bench.py, docs/benchmarks.md).
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status="submitted", reviewer__isnull=True),
                name="request_review_unclaimed",
            ),
            models.Index(
                fields=["reviewer", "status", "submitted_at"],
                condition=Q(reviewer__isnull=False, status__in=["in_review", "documents_requested"]),
                name="request_review_held",
            ),
            # The queue filtered by region and kind of change (and overdue: submitted before a date): only
            # open requests, so a filtered page reads its own few rows instead of bitmap-ANDing the
            # status and reviewer indexes over the whole table (bench/scale_bench.py, docs/benchmarks.md).
            models.Index(
                fields=["region", "change_kind", "submitted_at"],
                condition=Q(status__in=["submitted", "in_review", "documents_requested"]),
                name="request_open_region_kind",
            ),
            # Admin search by the ЕНП the citizen gave.
            models.Index(fields=["current_policy_number"], name="request_current_policy_number"),
        ]
        constraints = [
            # One open request per citizen per kind of change (the form says so first; this is the last word).
            models.UniqueConstraint(
                fields=["applicant", "change_kind"],
                condition=Q(status__in=["submitted", "in_review", "documents_requested", "approved"]),
                name="one_open_request_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.number or _("черновик №%(pk)s") % {"pk": self.pk}

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.patronymic) if part)

    @property
    def number_display(self) -> str:
        """The number as it is read out: «123-456-789-01»."""
        from oms_policy.numbers import request_number_display

        return request_number_display(self.number)


class StatusChange(ChoiceLabels, models.Model):
    """One move of a request's status: who, when, why. Written only by the transition service."""

    request = models.ForeignKey(PolicyRequest, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(_("был статус"), max_length=24, choices=RequestStatus.choices, blank=True)
    new_status = models.CharField(_("стал статус"), max_length=24, choices=RequestStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_role = models.CharField(_("кто"), max_length=20, choices=ActorRole.choices)
    # Shown to the citizen in the timeline.
    comment = models.TextField(_("комментарий для гражданина"), blank=True)
    at = models.DateTimeField(_("когда"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("смена статуса")
        verbose_name_plural = _("смены статуса")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["request", "at"], name="statuschange_request_at")]

    def __str__(self) -> str:
        return f"{self.old_status or '—'} → {self.new_status}"


class Service(models.Model):
    """An entry of the «Мои услуги» catalogue; every entry starts the policy-update form.

    `keywords` are the words citizens use for the service («продлить», «страховая»); search looks
    at them and the title (oms_policy.selectors.service_search).
    """

    slug = models.SlugField(_("адрес"), max_length=60, unique=True)
    title = models.CharField(_("название"), max_length=200)
    summary = models.TextField(_("кратко"), help_text=_("Одно-два предложения: кому и зачем."))
    keywords = models.TextField(
        _("слова для поиска"), blank=True, help_text=_("Через запятую: как люди называют эту услугу.")
    )
    # The kind of change the form starts with (the citizen can choose another on its step 3).
    change_kind = models.CharField(_("вид изменения"), max_length=20, choices=ChangeKind.choices, blank=True)
    is_active = models.BooleanField(_("показывать"), default=True)
    position = models.PositiveSmallIntegerField(_("порядок"), default=100)

    class Meta:
        verbose_name = _("услуга")
        verbose_name_plural = _("услуги")
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


# The review models live in their own module (issue 9); imported here so the app registry finds them.
from oms_policy.review_models import (  # noqa: E402, F401
    CallNote,
    DecisionReason,
    InternalNote,
    RejectionReason,
    RequestLookup,
)


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def policy_document_upload_to(instance: PolicyDocument, filename: str) -> str:
    # oms_policy.policy_services.policy_issue names and writes the file itself (named after the
    # request, so a retry after a killed worker replaces its own orphan); this is never reached.
    return f"policies/{instance.holder_id}/{instance.pk}.pdf"


class PolicyDocument(models.Model):
    """One issued electronic policy («выписка о полисе ОМС»): the signed PDF of one version.

    Written only by `oms_policy.services.policy_issue`. `id` is random (uuid4): it is printed on the
    PDF and is the token of the public verification page, so it must not be guessable. `content`
    keeps what the PDF shows (a snapshot: the holder's name may change later); `content_sha256` is
    the digest of that content printed on the PDF; `sha256` is the digest of the stored file.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_documents", verbose_name=_("держатель")
    )
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="documents", verbose_name=_("полис"))
    request = models.OneToOneField(
        PolicyRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policy_document",
        verbose_name=_("заявка"),
    )
    version = models.PositiveIntegerField(_("версия"))
    file = models.FileField(_("PDF"), storage=_private_storage, upload_to=policy_document_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256 файла"), max_length=64)
    content_sha256 = models.CharField(_("SHA-256 содержания"), max_length=64)
    content = models.JSONField(_("содержание"), default=dict)
    issued_at = models.DateTimeField(_("выдан"), default=timezone.now)
    replaced_at = models.DateTimeField(_("заменён"), null=True, blank=True)

    class Meta:
        verbose_name = _("электронный полис")
        verbose_name_plural = _("электронные полисы")
        ordering = ["holder", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["holder", "version"], name="policy_document_holder_version"),
            models.UniqueConstraint(
                fields=["holder"], condition=Q(replaced_at=None), name="policy_document_one_current_per_holder"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content.get('enp', '')} v{self.version}"

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None
