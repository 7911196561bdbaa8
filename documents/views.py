"""Scans: upload (with and without JavaScript), download and preview after a check of who asks,
delete, and the slot states for the page to poll while the scan check runs."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts.constants import AuditEventKind
from accounts.services import audit_record
from documents import services
from documents.constants import DocumentStatus
from documents.selectors import (
    document_get_for_owner,
    document_get_for_viewer,
    document_slots_for_policy_request,
)
from documents.serving import document_x_accel_prefix, private_file_response
from documents.uploads import DocumentUploadHandler
from oms_policy.constants import DocumentSlot
from oms_policy.models import PolicyRequest


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest" or "application/json" in request.headers.get(
        "accept", ""
    )


def _next_url(request: HttpRequest, policy_request_id: int) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("oms_policy:request-detail", args=[policy_request_id])


def _owned_request(request: HttpRequest, request_id: int) -> PolicyRequest:
    return get_object_or_404(PolicyRequest, pk=request_id, applicant=request.user)


def _slot_payload(request: HttpRequest, policy_request: PolicyRequest, next_url: str) -> list[dict]:
    csrf_token = get_token(request)
    payload = []
    for summary in document_slots_for_policy_request(request=policy_request):
        payload.append(
            {
                "slot": summary.slot,
                "state": str(summary.state),
                "blocks_submission": summary.blocks_submission,
                "checking": any(document.status == DocumentStatus.CHECKING for document in summary.documents),
                "documents": [
                    {
                        "uuid": str(document.uuid),
                        "status": document.status,
                        "verdict_code": document.verdict_code,
                        "verdict": str(document.get_verdict_code_display()) if document.verdict_code else "",
                    }
                    for document in summary.documents
                ],
                # Rendered without the request: the page's context processors (the inbox count…)
                # would query once per slot; the include needs only the CSRF token.
                "html": render_to_string(
                    "documents/includes/_slot.html",
                    {
                        "slot": summary,
                        "policy_request": policy_request,
                        "next_url": next_url,
                        "csrf_token": csrf_token,
                    },
                ),
            }
        )
    return payload


@csrf_exempt
@require_POST
def upload(request: HttpRequest, request_id: int, slot: str) -> HttpResponse:
    """POST /documents/upload/<request>/<slot>/: one or more files in the field `file`.

    The handlers are set before anything reads the body, so a file over DOCUMENT_MAX_BYTES is
    dropped while it streams and every file goes to a temporary file on disk, never to memory.
    The CSRF check runs right after (csrf_protect on the inner view).
    """
    request.upload_handlers = [DocumentUploadHandler(request), TemporaryFileUploadHandler(request)]
    return _upload(request, request_id, slot)


@csrf_protect
def _upload(request: HttpRequest, request_id: int, slot: str) -> HttpResponse:
    as_json = _wants_json(request)
    if not request.user.is_authenticated:
        if as_json:
            return JsonResponse({"error": _("Войдите, чтобы загрузить файл.")}, status=401)
        return redirect_to_login(request.get_full_path())
    policy_request = _owned_request(request, request_id)
    if slot not in DocumentSlot.values:
        raise Http404
    next_url = _next_url(request, policy_request.pk)
    results: list[dict] = []
    too_large = _("Файл больше %(limit)s. Сожмите снимок или отсканируйте с меньшим разрешением.") % {
        "limit": filesizeformat(request.upload_handlers[0].max_bytes)
    }
    for name in getattr(request, "oversized_upload_names", []):
        results.append({"name": services.document_display_name(name or ""), "ok": False, "message": too_large})
    files = request.FILES.getlist("file")
    if not files and not results:
        results.append({"name": "", "ok": False, "message": _("Выберите файл, чтобы загрузить его.")})
    replaces = request.POST.get("replaces", "")
    for uploaded in files:
        name = services.document_display_name(uploaded.name or "")
        try:
            if replaces:
                old = document_get_for_owner(user=request.user, document_uuid=_uuid_or_404(replaces))
                if old.request_id != policy_request.pk or old.slot != slot:
                    raise Http404
                document = services.document_replace(document=old, uploaded_file=uploaded, user=request.user)
                replaces = ""  # one file replaces one file; more files are added beside it
            else:
                document = services.document_upload(
                    request=policy_request, slot=slot, uploaded_file=uploaded, user=request.user
                )
        except ValidationError as error:
            results.append({"name": name, "ok": False, "message": error.messages[0]})
        else:
            results.append({"name": name, "ok": True, "uuid": str(document.uuid)})
        finally:
            uploaded.close()
    if as_json:
        policy_request.refresh_from_db()
        return JsonResponse(
            {"results": results, "slots": _slot_payload(request, policy_request, next_url)},
            status=200 if any(result["ok"] for result in results) else 400,
        )
    for result in results:
        if result["ok"]:
            messages.success(request, _("Файл «%(name)s» загружен, идёт проверка скана.") % {"name": result["name"]})
        elif result["name"]:
            messages.error(request, _("Файл «%(name)s» не принят: %(message)s") % result)
        else:
            messages.error(request, result["message"])
    return HttpResponseRedirect(next_url)


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404 from None


def _audit_staff_view(request: HttpRequest, document, what: str) -> None:
    audit_record(
        kind=AuditEventKind.DOCUMENT_VIEWED,
        request=request,
        actor=request.user,
        subject=document.request.applicant,
        details={
            "document": str(document.uuid),
            "request_id": document.request_id,
            "slot": document.slot,
            "what": what,
        },
    )


def _download_name(document) -> str:
    stem = document.original_name.rsplit(".", 1)[0] if "." in document.original_name else document.original_name
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}.get(document.content_type, "bin")
    return f"{stem or 'document'}.{extension}"


@never_cache
@require_safe
def download(request: HttpRequest, document_uuid) -> HttpResponse:
    """The file, as a download, to its owner or to staff whose role allows it; everyone else 404."""
    document, as_staff = document_get_for_viewer(http_request=request, document_uuid=document_uuid)
    if not document.file or document.file_deleted_at:
        raise Http404(_("Файл удалён."))
    if as_staff:
        _audit_staff_view(request, document, "file")
    return private_file_response(
        field=document.file,
        content_type=document.content_type,
        filename=_download_name(document),
        as_attachment=True,
        range_header=request.headers.get("Range", ""),
        x_accel_prefix=document_x_accel_prefix(),
    )


@never_cache
@require_safe
def preview(request: HttpRequest, document_uuid) -> HttpResponse:
    """The small JPEG made by document_preview_task; the same check of who asks as the download."""
    document, as_staff = document_get_for_viewer(http_request=request, document_uuid=document_uuid)
    if not document.preview or document.file_deleted_at:
        raise Http404
    if as_staff:
        _audit_staff_view(request, document, "preview")
    return private_file_response(
        field=document.preview,
        content_type="image/jpeg",
        filename=f"preview-{document.uuid}.jpg",
        as_attachment=False,
        x_accel_prefix=document_x_accel_prefix(),
    )


@require_POST
def delete(request: HttpRequest, document_uuid) -> HttpResponse:
    as_json = _wants_json(request)
    if not request.user.is_authenticated:
        raise Http404
    document = document_get_for_owner(user=request.user, document_uuid=document_uuid)
    next_url = _next_url(request, document.request_id)
    try:
        services.document_delete(document=document, user=request.user)
    except ValidationError as error:
        message, ok = error.messages[0], False
    else:
        message, ok = _("Файл «%(name)s» удалён.") % {"name": document.original_name}, True
    if as_json:
        policy_request = PolicyRequest.objects.get(pk=document.request_id)
        return JsonResponse(
            {"ok": ok, "message": message, "slots": _slot_payload(request, policy_request, next_url)},
            status=200 if ok else 400,
        )
    (messages.success if ok else messages.error)(request, message)
    return HttpResponseRedirect(next_url)


@never_cache
@require_GET
def status(request: HttpRequest, request_id: int) -> HttpResponse:
    """JSON: each slot's state and files, for the page to poll until the scan checks finish."""
    if not request.user.is_authenticated:
        raise Http404
    policy_request = _owned_request(request, request_id)
    next_url = _next_url(request, policy_request.pk)
    slots = _slot_payload(request, policy_request, next_url)
    return JsonResponse({"request": policy_request.pk, "slots": slots})


@never_cache
@require_safe
def request_documents(request: HttpRequest, request_id: int) -> HttpResponse:
    """The documents of one request, slot by slot: the citizen's page for adding and replacing scans."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    policy_request = _owned_request(request, request_id)
    return render(
        request,
        "documents/request_documents.html",
        {
            "policy_request": policy_request,
            "slots": document_slots_for_policy_request(request=policy_request),
            "next_url": request.get_full_path(),
        },
    )
