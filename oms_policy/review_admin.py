"""The reviewers' admin for policy-update requests: the queue, the request page, claim and decisions.

Status is never a form field: every move is a POST to one of the views below, which call
`oms_policy.review_services` (and through it the one transition service). A refused move says why
and changes nothing.
"""

from __future__ import annotations

import copy
import datetime
import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.constants import Sex
from documents.constants import SlotState
from documents.models import Document
from documents.selectors import document_slots_for_request, scan_metrics_text
from oms_policy.constants import DocumentSlot, RequestStatus
from oms_policy.forms import CORRECTION_CHOICES
from oms_policy.models import PolicyRequest
from oms_policy.numbers import NUMBER_LENGTH, request_number_display, request_number_normalize
from oms_policy.review_models import RejectionReason, RequestLookup
from oms_policy.review_selectors import (
    internal_note_list,
    policy_request_earlier,
    resubmission_changes,
    review_dashboard,
    status_timeline,
)
from oms_policy.review_services import (
    documents_default_due_on,
    internal_note_add,
    policy_request_approve,
    policy_request_claim,
    policy_request_documents_request,
    policy_request_reject,
    policy_request_release,
    review_overdue_since,
    staff_is_review_head,
    staff_is_reviewer,
)
from oms_policy.services import TransitionRefused, policy_request_document_slots
from oms_policy.validators import enp_normalize

WORK_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.DOCUMENTS_REQUESTED)


# --- the cheap paginator ------------------------------------------------------------------------


class CappedPaginator(Paginator):
    """Counts at most CAP rows (COUNT over a LIMITed subquery): on a table of millions the first
    page must not wait for a full count. Pages beyond CAP rows are not offered; filters narrow."""

    CAP = 1000

    @cached_property
    def count(self) -> int:
        # No ORDER BY inside the count: the planner need not sort the rows it only counts.
        return self.object_list.order_by().values("pk")[: self.CAP].count()


# --- forms ------------------------------------------------------------------------------------


class ReasonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: RejectionReason) -> str:
        return f"{obj.text} ({obj.get_subject_display()})"


class RejectForm(forms.Form):
    reasons = ReasonChoiceField(
        label=gettext_lazy("Причины отказа"),
        queryset=RejectionReason.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    text = forms.CharField(
        label=gettext_lazy("Пояснение для гражданина"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Все причины и пояснение придут гражданину одним сообщением."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("reasons") and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Выберите хотя бы одну причину отказа или напишите её."))
        return data


class DocumentsRequestForm(forms.Form):
    slots = forms.MultipleChoiceField(
        label=gettext_lazy("Какие документы нужны"), choices=DocumentSlot.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=gettext_lazy("Что нужно донести (увидит гражданин)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    due_on = forms.DateField(
        label=gettext_lazy("Срок"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on <= timezone.localdate():
            raise forms.ValidationError(_("Срок должен быть позже сегодняшнего дня."))
        return due_on


class InternalNoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Внутренняя заметка (гражданин её не видит)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
    )


# --- list filters -------------------------------------------------------------------------------


class QueueFilter(SimpleListFilter):
    """Opens on the work: unclaimed requests and mine. Choosing a status shows every request in it."""

    title = gettext_lazy("очередь")
    parameter_name = "queue"
    WORK, MINE, UNCLAIMED, ALL = "work", "mine", "unclaimed", "all"

    def __init__(self, request, params, model, model_admin):
        self._status_chosen = "status__exact" in request.GET
        self._user = request.user
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            (self.WORK, _("Нужно проверить: свободные и мои")),
            (self.MINE, _("Назначены мне")),
            (self.UNCLAIMED, _("Свободные")),
            (self.ALL, _("Все")),
        ]

    def _chosen(self) -> str:
        value = self.value()
        if value in (self.WORK, self.MINE, self.UNCLAIMED, self.ALL):
            return value
        return self.ALL if self._status_chosen else self.WORK

    def choices(self, changelist):
        chosen = self._chosen()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": chosen == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        chosen = self._chosen()
        unclaimed = Q(status=RequestStatus.SUBMITTED, reviewer__isnull=True)
        # A held request is in review or waiting for documents (a release clears the reviewer); the
        # same condition as the partial index request_review_held.
        mine = Q(reviewer=self._user, status__in=[RequestStatus.IN_REVIEW, RequestStatus.DOCUMENTS_REQUESTED])
        if chosen == self.WORK:
            # Mine that wait for the citizen's documents are not work yet; «Назначены мне» shows them.
            return queryset.filter(unclaimed | Q(reviewer=self._user, status=RequestStatus.IN_REVIEW))
        if chosen == self.MINE:
            return queryset.filter(mine)
        if chosen == self.UNCLAIMED:
            return queryset.filter(unclaimed)
        return queryset.exclude(status=RequestStatus.DRAFT)


class OverdueFilter(SimpleListFilter):
    title = gettext_lazy("срок проверки")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Просрочены")), ("no", _("В срок"))]

    def queryset(self, request, queryset):
        overdue = Q(
            status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW], submitted_at__lt=review_overdue_since()
        )
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


# --- helpers ------------------------------------------------------------------------------------


def scan_urls(*, document: Document) -> tuple[str, str]:
    """(preview, full size) URLs of a scan, both for reviewers only.

    The preview is the documents app's small JPEG when it has made one (documents:preview), else the
    file itself; full size is the file inline through this admin (a TOTP-verified reviewer session).
    """
    full = reverse("admin:oms_policy_policyrequest_scan", args=[document.request_id, document.uuid])
    if getattr(document, "preview", None):
        try:
            return reverse("documents:preview", args=[document.uuid]), full
        except NoReverseMatch:
            pass
    return full, full


def _scan_view_audit(request: HttpRequest, document: Document) -> None:
    """Staff opening a citizen's scan is written to the security log, as documents' own views do.

    The event kind comes with the documents branch (AuditEventKind.DOCUMENT_VIEWED); until it is
    merged there is no kind to write, and nothing is written.
    """
    from accounts.constants import AuditEventKind
    from accounts.services import audit_record

    kind = getattr(AuditEventKind, "DOCUMENT_VIEWED", None)
    if kind is None:
        return
    audit_record(
        kind=kind,
        request=request,
        actor=request.user,
        subject=document.request.applicant,
        details={
            "document": str(document.uuid),
            "request_id": document.request_id,
            "slot": document.slot,
            "what": "file",
        },
    )


def _expected(request: HttpRequest) -> datetime.datetime | None:
    """The `updated_at` the reviewer's page showed; a missing or garbled value counts as stale."""
    value = parse_datetime(request.POST.get("expected_updated_at", "") or "")
    if value is None:
        raise TransitionRefused(
            _("Заявку уже изменили, пока страница была открыта. Обновите страницу и посмотрите её текущий статус."),
            code="stale",
        )
    return value


def reviewer_only(view):
    @functools.wraps(view)
    def wrapped(self, request: HttpRequest, *args, **kwargs):
        if not staff_is_reviewer(request.user):
            raise PermissionDenied
        return view(self, request, *args, **kwargs)

    return wrapped


# --- the admin ----------------------------------------------------------------------------------


class PolicyRequestAdmin(admin.ModelAdmin):
    change_form_template = "admin/oms_policy/policyrequest/change_form.html"
    change_list_template = "admin/oms_policy/policyrequest/change_list.html"
    list_display = (
        "number_shown",
        "change_kind",
        "region",
        "smo",
        "submitted",
        "days_waiting",
        "overdue",
        "status",
        "reviewer_shown",
    )
    list_display_links = ("number_shown",)
    list_filter = (
        QueueFilter,
        "status",
        "change_kind",
        OverdueFilter,
        "region",
        "new_insurance_company",
    )
    list_select_related = ("region", "new_insurance_company", "reviewer")
    search_fields = ("^last_name",)
    search_help_text = gettext_lazy("Номер заявки (11 цифр), ЕНП (16 цифр) или начало фамилии")
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedPaginator
    fieldsets = (
        (
            gettext_lazy("Гражданин"),
            {"fields": ("applicant", "last_name", "first_name", "patronymic", "sex_shown", "birth_date")},
        ),
        (
            gettext_lazy("Заявка"),
            {
                "fields": (
                    "number_shown",
                    "status",
                    "change_kind",
                    "current_policy_kind",
                    "current_policy_series",
                    "current_policy_number",
                    "region",
                    "corrections_shown",
                    "new_insurance_company",
                    "smo_change_reason",
                    "submitted_at",
                    "reviewer",
                    "claimed_at",
                    "decided_at",
                )
            },
        ),
        (
            gettext_lazy("Запрошенные документы и отказ"),
            {"fields": ("requested_slots", "requested_note", "documents_due_on", "rejection_text")},
        ),
    )

    @admin.display(description=gettext_lazy("пол"))
    def sex_shown(self, obj: PolicyRequest) -> str:
        return Sex(obj.sex).label if obj.sex in Sex.values else obj.sex or "—"

    @admin.display(description=gettext_lazy("исправления"))
    def corrections_shown(self, obj: PolicyRequest) -> str:
        """«Фамилия: было «Смирнова», станет «Петрова»» — what the citizen asked to correct."""
        labels = dict(CORRECTION_CHOICES)
        return (
            "; ".join(
                _("%(field)s: было «%(old)s», станет «%(new)s»")
                % {"field": labels.get(field, field), "old": values.get("old") or "—", "new": values.get("new") or "—"}
                for field, values in (obj.corrections or {}).items()
            )
            or "—"
        )

    def get_readonly_fields(self, request, obj=None):
        # Nothing is edited by hand, least of all the status.
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def get_ordering(self, request):
        return ["submitted_at", "pk"]

    def get_queryset(self, request):
        overdue = Q(
            status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW], submitted_at__lt=review_overdue_since()
        )
        return (
            super()
            .get_queryset(request)
            .exclude(status=RequestStatus.DRAFT)
            .annotate(is_overdue=ExpressionWrapper(overdue, output_field=BooleanField()))
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # «change» in this admin means «decide»: reviewers only (the transition checks again).
        return super().has_change_permission(request, obj) and staff_is_reviewer(request.user)

    def get_actions(self, request):
        return {}

    def get_search_results(self, request, queryset, search_term):
        digits = request_number_normalize(search_term)
        if digits and len(digits) == NUMBER_LENGTH and not search_term.strip("0123456789 -"):
            return queryset.filter(number=digits), False
        enp = enp_normalize(search_term)
        if len(enp) == 16 and enp.isdigit():
            return queryset.filter(current_policy_number=enp), False
        return super().get_search_results(request, queryset, search_term)

    # --- columns ---

    @admin.display(description=gettext_lazy("Номер"), ordering="number")
    def number_shown(self, obj: PolicyRequest) -> str:
        return request_number_display(obj.number) or "—"

    @admin.display(description=gettext_lazy("СМО"))
    def smo(self, obj: PolicyRequest) -> str:
        return obj.new_insurance_company.name if obj.new_insurance_company else "—"

    @admin.display(description=gettext_lazy("Подана"), ordering="submitted_at")
    def submitted(self, obj: PolicyRequest) -> str:
        return formats.date_format(timezone.localtime(obj.submitted_at), "d.m.Y H:i") if obj.submitted_at else "—"

    @admin.display(description=gettext_lazy("Ждёт, дней"))
    def days_waiting(self, obj: PolicyRequest) -> int | str:
        if not obj.submitted_at or obj.status not in WORK_STATUSES:
            return "—"
        return (timezone.localdate() - timezone.localdate(obj.submitted_at)).days

    @admin.display(description=gettext_lazy("Срок"), ordering="submitted_at")
    def overdue(self, obj: PolicyRequest) -> str:
        return _("просрочена") if getattr(obj, "is_overdue", False) else ""

    @admin.display(description=gettext_lazy("Проверяющий"))
    def reviewer_shown(self, obj: PolicyRequest) -> str:
        if obj.reviewer is None:
            return "—"
        initial = f" {obj.reviewer.first_name[:1]}." if obj.reviewer.first_name else ""
        return f"{obj.reviewer.last_name or obj.reviewer.email}{initial}"

    # --- pages ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = "oms_policy_policyrequest_"
        return [
            path("dashboard/", wrap(require_safe(self.dashboard_view)), name=name + "dashboard"),
            path("<int:pk>/scan/<uuid:document_uuid>/", wrap(require_safe(self.scan_view)), name=name + "scan"),
            path("<int:pk>/claim/", wrap(require_POST(self.claim_view)), name=name + "claim"),
            path("<int:pk>/release/", wrap(require_POST(self.release_view)), name=name + "release"),
            path("<int:pk>/approve/", wrap(require_POST(self.approve_view)), name=name + "approve"),
            path("<int:pk>/reject/", wrap(require_POST(self.reject_view)), name=name + "reject"),
            path("<int:pk>/documents/", wrap(require_POST(self.documents_view)), name=name + "documents"),
            path("<int:pk>/note/", wrap(require_POST(self.note_view)), name=name + "note"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"title": _("Заявки: очередь проверки"), "show_dashboard": staff_is_review_head(request.user)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # decisions have their own POSTs; nothing is saved from this form
        obj = self.get_object(request, object_id) if object_id else None
        extra = dict(extra_context or {})
        if obj is not None:
            extra.update(self._review_context(request, obj, extra))
        extra.update(
            {
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
                "show_delete": False,
            }
        )
        return super().changeform_view(request, object_id, form_url, extra)

    def _review_context(self, request: HttpRequest, obj: PolicyRequest, given: dict) -> dict:
        user = request.user
        is_reviewer = staff_is_reviewer(user)
        holds = obj.reviewer_id == user.pk
        required, optional = policy_request_document_slots(request=obj)
        slots = []
        for summary in document_slots_for_request(request=obj, required=required, optional=optional):
            scans = []
            for document in summary.documents:
                preview, full = scan_urls(document=document) if is_reviewer else ("", "")
                scans.append(
                    {
                        "document": document,
                        "preview_url": preview,
                        "full_url": full,
                        "metrics_text": scan_metrics_text(document.metrics) if document.metrics else "",
                    }
                )
            slots.append({"summary": summary, "state_label": SlotState(summary.state).label, "scans": scans})
        return {
            "title": _("Заявка %(number)s") % {"number": request_number_display(obj.number) or obj.pk},
            "subtitle": None,
            "number_display": request_number_display(obj.number),
            "expected_updated_at": obj.updated_at.isoformat(),
            "can_claim": is_reviewer and obj.status == RequestStatus.SUBMITTED and obj.reviewer_id is None,
            "can_decide": is_reviewer and obj.status == RequestStatus.IN_REVIEW and holds,
            "holder_is_other": obj.reviewer_id is not None and not holds,
            "can_see_scans": is_reviewer,
            "slots": slots,
            "timeline": status_timeline(request=obj),
            "earlier_requests": policy_request_earlier(request=obj),
            "resubmission_changes": resubmission_changes(request=obj),
            "internal_notes": internal_note_list(request=obj),
            "reject_form": given.get("reject_form") or RejectForm(prefix="reject"),
            "documents_form": given.get("documents_form")
            or DocumentsRequestForm(initial={"due_on": documents_default_due_on()}, prefix="documents"),
            "note_form": given.get("note_form") or InternalNoteForm(prefix="note"),
        }

    def _change_url(self, pk: int) -> str:
        return reverse("admin:oms_policy_policyrequest_change", args=[pk])

    def _queue_url(self) -> str:
        return reverse("admin:oms_policy_policyrequest_changelist")

    def _page_with(self, request: HttpRequest, pk: int, **forms_given) -> HttpResponse:
        """The request page again with a failed form bound (what the reviewer typed is kept)."""
        page_request = copy.copy(request)
        page_request.method = "GET"
        page_request.POST = QueryDict()
        return self.changeform_view(page_request, str(pk), extra_context=forms_given)

    def _refused(self, request: HttpRequest, pk: int, error: TransitionRefused) -> HttpResponse:
        self.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(self._change_url(pk))

    @reviewer_only
    def claim_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            claimed = policy_request_claim(request_id=pk, reviewer=request.user, expected_updated_at=_expected(request))
        except TransitionRefused as error:
            return self._refused(request, pk, error)
        self.message_user(
            request,
            _("Заявка %(number)s взята в работу.") % {"number": request_number_display(claimed.number)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(pk))

    @reviewer_only
    def release_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            released = policy_request_release(
                request_id=pk, reviewer=request.user, expected_updated_at=_expected(request)
            )
        except TransitionRefused as error:
            return self._refused(request, pk, error)
        self.message_user(
            request,
            _("Заявка %(number)s возвращена в очередь.") % {"number": request_number_display(released.number)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())

    @reviewer_only
    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            approved = policy_request_approve(
                request_id=pk, reviewer=request.user, expected_updated_at=_expected(request)
            )
        except TransitionRefused as error:
            return self._refused(request, pk, error)
        self.message_user(
            request,
            _("Заявка %(number)s одобрена.") % {"number": request_number_display(approved.number)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())

    @reviewer_only
    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RejectForm(request.POST, prefix="reject")
        if not form.is_valid():
            return self._page_with(request, pk, reject_form=form)
        try:
            rejected = policy_request_reject(
                request_id=pk,
                reviewer=request.user,
                reason_ids=[reason.pk for reason in form.cleaned_data["reasons"]],
                text=form.cleaned_data["text"],
                expected_updated_at=_expected(request),
            )
        except TransitionRefused as error:
            return self._refused(request, pk, error)
        self.message_user(
            request,
            _("Заявка %(number)s отклонена.") % {"number": request_number_display(rejected.number)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())

    @reviewer_only
    def documents_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = DocumentsRequestForm(request.POST, prefix="documents")
        if not form.is_valid():
            return self._page_with(request, pk, documents_form=form)
        try:
            asked = policy_request_documents_request(
                request_id=pk,
                reviewer=request.user,
                slots=form.cleaned_data["slots"],
                note=form.cleaned_data["note"],
                due_on=form.cleaned_data["due_on"],
                expected_updated_at=_expected(request),
            )
        except TransitionRefused as error:
            return self._refused(request, pk, error)
        self.message_user(
            request,
            _("По заявке %(number)s запрошены документы до %(date)s.")
            % {"number": request_number_display(asked.number), "date": asked.documents_due_on.strftime("%d.%m.%Y")},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())

    @reviewer_only
    def note_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(PolicyRequest, pk=pk)
        form = InternalNoteForm(request.POST, prefix="note")
        if not form.is_valid():
            return self._page_with(request, pk, note_form=form)
        internal_note_add(request_id=pk, author=request.user, text=form.cleaned_data["text"])
        self.message_user(request, _("Заметка сохранена."), messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(pk) + "#review-notes")

    def scan_view(self, request: HttpRequest, pk: int, document_uuid) -> HttpResponse:
        """A scan of the request, inline, for reviewers only (support operators never open scans)."""
        if not staff_is_reviewer(request.user):
            raise PermissionDenied
        document = get_object_or_404(Document.objects.select_related("request"), uuid=document_uuid, request_id=pk)
        if not document.file or getattr(document, "file_deleted_at", None):
            raise Http404
        _scan_view_audit(request, document)
        response = FileResponse(
            document.file.open("rb"), content_type=document.content_type or "application/octet-stream"
        )
        response["Content-Disposition"] = f'inline; filename="scan-{document.uuid.hex}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not staff_is_review_head(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Проверка заявок: сводка"),
            "figures": review_dashboard(),
            "period_days": None,
        }
        return TemplateResponse(request, "admin/oms_policy/policyrequest/dashboard.html", context)


class RejectionReasonAdmin(admin.ModelAdmin):
    """The managed list: administrators add and reword reasons; a used reason is retired, not deleted."""

    list_display = ("text", "subject", "code", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "subject")
    search_fields = ("text", "code")
    ordering = ("position", "text")

    def has_delete_permission(self, request, obj=None):
        return False


class RequestLookupAdmin(admin.ModelAdmin):
    """The support look-up audit log: read-only."""

    list_display = ("at", "actor", "query", "request")
    list_select_related = ("actor", "request")
    list_filter = (("at", admin.DateFieldListFilter),)
    search_fields = ("query", "actor__email")
    fields = ("at", "actor", "query", "request", "ip_address")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(PolicyRequest, PolicyRequestAdmin)
admin.site.register(RejectionReason, RejectionReasonAdmin)
admin.site.register(RequestLookup, RequestLookupAdmin)
