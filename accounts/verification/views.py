"""The citizen's video-verification page: thin, everything it decides comes from the services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.constants import IdentityLevel, VerificationStatus
from accounts.selectors import identity_verification_can_submit, identity_verification_latest
from accounts.validators import snils_display
from accounts.verification.forms import IdentityVerificationForm
from accounts.verification.services import (
    identity_verification_submit,
    identity_video_keep_unsent,
    identity_video_unsent_delete,
    identity_video_unsent_name,
)
from documents.serving import private_file_response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def identity(request: HttpRequest) -> HttpResponse:
    """Status of the citizen's verification, and the form when they may (re)submit."""
    user = request.user
    latest = identity_verification_latest(user=user)
    can_submit = identity_verification_can_submit(user=user)
    form = None
    if request.method == "POST":
        form = IdentityVerificationForm(
            request.POST, request.FILES, user=user, oversized_uploads=getattr(request, "oversized_uploads", set())
        )
        if form.is_valid():
            try:
                identity_verification_submit(
                    user=user, video=form.cleaned_data["video"], data=form.identity_data(), request=request
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if form.kept_video is not None:
                    identity_video_unsent_delete(video=form.kept_video)
                messages.success(request, _("Видео отправлено на проверку. Мы сообщим о решении по SMS и e-mail."))
                return redirect("accounts:identity")
        elif can_submit and "video" not in form.errors and request.FILES.get("video"):
            # The video was fine, something else was not: keep it so it need not be recorded again.
            form.video_kept_as(
                identity_video_keep_unsent(
                    user=user, video=form.cleaned_data["video"], content_type=form.video_content_type
                )
            )
    elif can_submit:
        form = IdentityVerificationForm(user=user, initial={"snils": snils_display(user.snils)})
    resubmitting = request.method == "POST" or request.GET.get("resubmit") == "1"
    show_form = form is not None and (
        request.method == "POST" or latest is None or latest.status != VerificationStatus.REFUSED or resubmitting
    )
    context = {
        "latest": latest,
        "form": form if show_form else None,
        "can_submit": can_submit,
        "is_simplified": user.identity_level == IdentityLevel.SIMPLIFIED,
        "is_confirmed": user.identity_level == IdentityLevel.CONFIRMED,
        "max_video_bytes": settings.IDENTITY_VIDEO_MAX_BYTES,
        "retention_days": settings.IDENTITY_VIDEO_RETENTION_DAYS,
        "statuses": VerificationStatus,
    }
    return render(request, "accounts/identity.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def identity_kept_video(request: HttpRequest) -> HttpResponse:
    """The citizen's own kept video, for the player on the form shown again after a mistake.

    Only ever the logged-in citizen's file (found by account, no name or token in the URL), with
    byte ranges so the player can seek.
    """
    name = identity_video_unsent_name(user=request.user)
    if name is None:
        raise Http404
    content_type = "video/webm" if name.endswith(".webm") else "video/mp4"
    field = FieldFile(None, FileField(storage=default_storage), name)
    return private_file_response(
        field=field,
        content_type=content_type,
        filename=f"identity-video.{name.rsplit('.', 1)[-1]}",
        as_attachment=False,
        range_header=request.headers.get("Range", ""),
    )
