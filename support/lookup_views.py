"""The support look-up: one box, a request number as the citizen reads it out, the request masked.

Support operators only (a staff session verified by the admin's TOTP second factor); every look-up
is written to the audit log (oms_policy.RequestLookup), found or not.
"""

from __future__ import annotations

import functools

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from oms_policy.constants import DocumentSlot
from oms_policy.models import PolicyRequest
from oms_policy.numbers import request_number_display
from oms_policy.review_selectors import (
    call_note_list,
    name_masked,
    phone_masked,
    policy_request_find_by_number,
    status_timeline,
)
from oms_policy.review_services import call_note_add, request_lookup_record, staff_is_support
from support.forms import CallNoteForm, LookupForm


def support_operator_required(view):
    """A TOTP-verified staff session (as the admin requires) of a support operator; else login or 403."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not admin.site.has_permission(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not staff_is_support(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@require_safe
@support_operator_required
def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.GET or None)
    context: dict = {"form": form, "searched": False}
    if form.is_valid():
        digits, found = policy_request_find_by_number(typed=form.cleaned_data["number"])
        request_lookup_record(actor=request.user, query=digits, request=found, http_request=request)
        context["searched"] = True
        context["typed"] = form.cleaned_data["number"]
        if found is not None:
            context.update(_request_context(found))
    response = render(request, "support/lookup.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _request_context(found: PolicyRequest) -> dict:
    applicant = found.applicant
    return {
        "found": found,
        "number_display": request_number_display(found.number),
        "masked_name": name_masked(
            first_name=found.first_name or applicant.first_name,
            patronymic=found.patronymic or applicant.patronymic,
            last_name=found.last_name or applicant.last_name,
        ),
        "masked_phone": phone_masked(phone=applicant.phone),
        "timeline": status_timeline(request=found),
        "requested_slots": [DocumentSlot(slot).label for slot in found.requested_slots if slot in DocumentSlot.values],
        "call_notes": call_note_list(request=found),
        "note_form": CallNoteForm(),
    }


@require_POST
@support_operator_required
def call_note(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(PolicyRequest.objects.only("pk", "number"), pk=pk)
    form = CallNoteForm(request.POST)
    target = reverse("support:lookup") + "?number=" + (found.number or "")
    if form.is_valid():
        call_note_add(request_id=found.pk, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Заметка о звонке сохранена."))
    else:
        messages.error(request, _("Напишите текст заметки."))
    return HttpResponseRedirect(target + "#call-notes")
