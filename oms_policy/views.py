"""The citizen's side of policy-update requests: the catalogue, the five-step form with its draft,
submission, the cabinet list, the request page and the actions on it. Thin callers of
oms_policy.services and selectors; another citizen's request is a 404 everywhere."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oms_policy import selectors, services
from oms_policy.constants import ChangeKind, RequestStatus
from oms_policy.forms import CORRECTION_CHOICES, ChangeStepForm, PersonStepForm, PolicyStepForm, ServiceSearchForm
from oms_policy.models import PolicyRequest
from oms_policy.numbers import request_number_display
from oms_policy.services import RequestRefused, TransitionRefused

# «Мои заявления» shows this many requests a page, newest first.
REQUEST_LIST_PAGE_SIZE = 20

STEP_TITLES = {
    1: gettext_lazy("Текущий полис"),
    2: gettext_lazy("Личные данные"),
    3: gettext_lazy("Что изменить"),
    4: gettext_lazy("Документы"),
    5: gettext_lazy("Проверьте данные"),
}
STEP_TEMPLATES = {
    1: "oms_policy/step_form.html",
    2: "oms_policy/step_form.html",
    3: "oms_policy/step_change.html",
    4: "oms_policy/step_documents.html",
    5: "oms_policy/step_check.html",
}


def _identity_required(request: HttpRequest) -> HttpResponse:
    return render(request, "oms_policy/identity_required.html", status=403)


@never_cache
@login_required
@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    form = ServiceSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    return render(
        request,
        "oms_policy/service_list.html",
        {"form": form, "query": query, "services": selectors.service_search(query=query)},
    )


@never_cache
@login_required
@require_GET
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = selectors.service_get(slug=slug)
    return render(
        request,
        "oms_policy/service_detail.html",
        {
            "service": service,
            "may_apply": services.applicant_may_apply(user=request.user),
            "drafts": selectors.policy_request_drafts_for_applicant(applicant=request.user),
            "review_days": settings.REVIEW_PERIOD_WORKING_DAYS,
        },
    )


@login_required
@require_POST
def request_start(request: HttpRequest, slug: str) -> HttpResponse:
    service = selectors.service_get(slug=slug)
    if not services.applicant_may_apply(user=request.user):
        return _identity_required(request)
    draft = services.policy_request_draft_create(applicant=request.user, change_kind=service.change_kind)
    return redirect("oms_policy:request-step", draft.pk, 1)


def _step_form(step: int, draft: PolicyRequest, user, data=None):
    if step == 1:
        return PolicyStepForm(data, instance=draft)
    if step == 2:
        return PersonStepForm(data, instance=draft, applicant=user)
    if step == 3:
        policy = selectors.policy_active_for(holder=user)
        return ChangeStepForm(
            data,
            instance=draft,
            applicant=user,
            region=draft.region,
            current_company=policy.insurance_company if policy else None,
        )
    return None


def _step_values(step: int, form) -> dict:
    if step == 3:
        return form.step_values()
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_step(request: HttpRequest, request_id: int, step: int) -> HttpResponse:
    draft = selectors.policy_request_draft_get_for_applicant(applicant=request.user, request_id=request_id)
    if draft.status != RequestStatus.DRAFT:
        return redirect("oms_policy:request-detail", draft.pk)
    if not services.applicant_may_apply(user=request.user):
        return _identity_required(request)
    if not 1 <= step <= services.DRAFT_STEPS:
        return redirect("oms_policy:request-step", draft.pk, draft.draft_step)
    if step > draft.draft_step:
        # Steps are filled in order; a link to a later one lands on the furthest step reached.
        return redirect("oms_policy:request-step", draft.pk, draft.draft_step)
    form = _step_form(step, draft, request.user, request.POST if request.method == "POST" else None)
    slots = selectors.policy_request_slots(request=draft) if step in (4, 5) else None
    blocking = [slot for slot in slots if slot.blocks_submission] if slots is not None else []
    if request.method == "POST":
        if form is not None and form.is_valid():
            services.policy_request_draft_update(draft=draft, values=_step_values(step, form), reached_step=step + 1)
            return redirect("oms_policy:request-step", draft.pk, step + 1)
        if step == 4 and not blocking:
            services.policy_request_draft_update(draft=draft, values={}, reached_step=5)
            return redirect("oms_policy:request-step", draft.pk, 5)
    reasons = selectors.rejection_reasons_by_subject(request=draft.resubmission_of)
    context = {
        "reasons": reasons,
        "fields_with_reasons": [(form[name], reasons.get(name, [])) for name in form.fields] if form else [],
        "slot_reasons": [(slot.label, text) for slot in (slots or []) for text in reasons.get(slot.slot, [])],
        "draft": draft,
        "step": step,
        "steps": services.DRAFT_STEPS,
        "step_title": STEP_TITLES[step],
        "step_titles": list(STEP_TITLES.items()),
        "slot_template": "documents/includes/_slot.html",
        "form": form,
        "slots": slots,
        "blocking": blocking,
        "show_blocking": request.method == "POST" and step == 4,
        "rejected": draft.resubmission_of,
        "next_url": request.get_full_path(),
    }
    if step == 5:
        context.update(_check_context(draft))
    return render(request, STEP_TEMPLATES[step], context)


def _check_context(draft: PolicyRequest) -> dict:
    corrections = [
        {"label": dict(CORRECTION_CHOICES).get(field, field), "old": values.get("old"), "new": values.get("new")}
        for field, values in (draft.corrections or {}).items()
    ]
    return {
        "corrections": corrections,
        "problems": services.policy_request_submit_problems(draft=draft),
        "submit_key": secrets.token_urlsafe(24),
        "review_days": settings.REVIEW_PERIOD_WORKING_DAYS,
    }


@login_required
@require_POST
def request_submit(request: HttpRequest, request_id: int) -> HttpResponse:
    # The service locks and checks the citizen's own row; the draft is read for the page only when
    # it has to be shown again.
    try:
        submitted = services.policy_request_submit(
            request_id=request_id, actor=request.user, submit_key=request.POST.get("submit_key", "")
        )
    except PolicyRequest.DoesNotExist:
        raise Http404 from None
    except RequestRefused as refusal:
        draft = selectors.policy_request_draft_get_for_applicant(applicant=request.user, request_id=request_id)
        if draft.status != RequestStatus.DRAFT:
            messages.error(request, refusal.message)
            return redirect("oms_policy:request-detail", draft.pk)
        context = {
            "draft": draft,
            "step": 5,
            "steps": services.DRAFT_STEPS,
            "step_title": STEP_TITLES[5],
            "step_titles": list(STEP_TITLES.items()),
            "slots": selectors.policy_request_slots(request=draft),
            "refusal": refusal,
            "rejected": draft.resubmission_of,
            **_check_context(draft),
        }
        return render(request, "oms_policy/step_check.html", context, status=409)
    return redirect(reverse("oms_policy:request-detail", args=[submitted.pk]) + "?sent=1")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_delete(request: HttpRequest, request_id: int) -> HttpResponse:
    draft = selectors.policy_request_draft_get_for_applicant(applicant=request.user, request_id=request_id)
    if draft.status != RequestStatus.DRAFT:
        return redirect("oms_policy:request-detail", draft.pk)
    if request.method == "POST":
        services.policy_request_draft_delete(draft=draft)
        messages.success(request, _("Черновик удалён."))
        return redirect("oms_policy:request-list")
    return render(request, "oms_policy/request_delete.html", {"draft": draft})


@never_cache
@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    # Pages of REQUEST_LIST_PAGE_SIZE: a citizen with hundreds of requests (an agent's relative, years
    # of renewals) made this page render every row — 130 ms for 500 (bench/scale_bench.py).
    requests = selectors.policy_request_list_for_applicant(applicant=request.user)
    page = Paginator(requests, REQUEST_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "oms_policy/request_list.html", {"requests": page.object_list, "page_obj": page})


def _next_step_text(policy_request: PolicyRequest) -> dict:
    """What happens next and by when, for the request page and the status poll."""
    status = policy_request.status
    today = timezone.localdate()
    context: dict = {"due_on": None, "days_left": None}
    if status in (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.APPROVED):
        context["due_on"] = policy_request.decision_due_on
        context["text"] = (
            _("Полис выпускается. Электронная выписка появится в кабинете.")
            if status == RequestStatus.APPROVED
            else _("Заявку проверяет сотрудник. Решение придёт не позже срока ниже; мы пришлём уведомление.")
        )
    elif status == RequestStatus.DOCUMENTS_REQUESTED:
        context["due_on"] = policy_request.documents_due_on
        if policy_request.documents_due_on:
            context["days_left"] = max(0, (policy_request.documents_due_on - today).days)
        context["text"] = _(
            "Загрузите документы из списка и нажмите «Отправить документы». После срока заявка закроется."
        )
    elif status == RequestStatus.POLICY_ISSUED:
        context["text"] = _("Полис обновлён. Выписка о полисе — в личном кабинете.")
    elif status == RequestStatus.REJECTED:
        context["text"] = _("В заявке есть ошибки. Исправьте их и подайте заявку повторно.")
    elif status == RequestStatus.WITHDRAWN:
        context["text"] = _("Вы отозвали заявку. Можно подать новую.")
    elif status == RequestStatus.EXPIRED:
        context["text"] = _("Документы не пришли в срок, заявка закрыта. Можно подать новую.")
    return context


@never_cache
@login_required
@require_GET
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    policy_request = selectors.policy_request_get_for_applicant(applicant=request.user, request_id=request_id)
    if policy_request.status == RequestStatus.DRAFT:
        return redirect("oms_policy:request-step", policy_request.pk, policy_request.draft_step)
    slots = selectors.policy_request_slots(request=policy_request)
    requested = set(policy_request.requested_slots or [])
    requested_slots = (
        [slot for slot in slots if slot.slot in requested]
        if policy_request.status == RequestStatus.DOCUMENTS_REQUESTED
        else []
    )
    changes = list(selectors.status_change_list(request=policy_request))
    return render(
        request,
        "oms_policy/request_detail.html",
        {
            "policy_request": policy_request,
            "number": request_number_display(policy_request.number),
            "changes": changes,
            "slots": slots,
            "slot_template": "documents/includes/_slot.html",
            "requested_slots": requested_slots,
            "just_sent": request.GET.get("sent") == "1" and policy_request.status == RequestStatus.SUBMITTED,
            "next": _next_step_text(policy_request),
            "may_withdraw": policy_request.status
            in (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.DOCUMENTS_REQUESTED),
            "poll_seconds": settings.REQUEST_STATUS_POLL_SECONDS,
            "next_url": request.path,
            "is_smo_change": policy_request.change_kind == ChangeKind.SMO_CHANGE,
        },
    )


@never_cache
@login_required
@require_GET
def request_status(request: HttpRequest, request_id: int) -> JsonResponse:
    """The light poll of the request page: the status and when it last changed (one query)."""
    policy_request = selectors.policy_request_get_for_applicant(applicant=request.user, request_id=request_id)
    return JsonResponse(
        {
            "status": policy_request.status,
            "status_label": policy_request.get_status_display(),
            "updated_at": policy_request.updated_at.isoformat(),
        }
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    policy_request = selectors.policy_request_get_for_applicant(applicant=request.user, request_id=request_id)
    if request.method == "POST":
        try:
            services.policy_request_withdraw(request_id=policy_request.pk, actor=request.user)
        except TransitionRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Заявка отозвана."))
        return redirect("oms_policy:request-detail", policy_request.pk)
    return render(
        request,
        "oms_policy/request_withdraw.html",
        {"policy_request": policy_request, "number": request_number_display(policy_request.number)},
    )


@login_required
@require_POST
def request_resubmit(request: HttpRequest, request_id: int) -> HttpResponse:
    policy_request = selectors.policy_request_get_for_applicant(applicant=request.user, request_id=request_id)
    try:
        draft = services.policy_request_resubmit(request_id=policy_request.pk, actor=request.user)
    except RequestRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("oms_policy:request-detail", policy_request.pk)
    return redirect("oms_policy:request-step", draft.pk, draft.draft_step)


@login_required
@require_POST
def request_documents_send(request: HttpRequest, request_id: int) -> HttpResponse:
    policy_request = selectors.policy_request_get_for_applicant(applicant=request.user, request_id=request_id)
    try:
        services.policy_request_documents_send(request_id=policy_request.pk, actor=request.user)
    except (RequestRefused, TransitionRefused) as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Документы отправлены на проверку."))
    return redirect("oms_policy:request-detail", policy_request.pk)
