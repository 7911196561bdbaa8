"""«Безопасность»: the person's own second factors, after re-entering the password (valid 5 minutes).

A full login (password + second factor) counts as re-entering it for those same 5 minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.login.forms import ReauthForm, TotpConfirmForm
from accounts.login.services import reauth_is_fresh, reauth_mark
from accounts.security.second_factor import device_method, second_factor_devices
from accounts.security.services import (
    backup_codes_replace,
    factor_remove,
    totp_enrolment_confirm,
    totp_enrolment_start,
    totp_qr_svg,
    totp_secret_text,
)
from accounts.services import mask_phone

_TOTP_SESSION_KEY = "totp_enrolment_device"


def _citizens_only(request: HttpRequest) -> None:
    """Staff second factors are TOTP devices managed in the admin (with its audit); this page is the
    citizens'. Letting staff add a factor here would bypass the admin's control of staff access."""
    if request.user.is_staff:
        raise PermissionDenied(_("Способы входа сотрудников настраиваются в админке портала."))


def reauth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login, and a password typed within REAUTH_VALID_SECONDS; else to the password page."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        _citizens_only(request)
        if not reauth_is_fresh(request=request):
            return redirect(f"{reverse('accounts:security_reauth')}?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def security_reauth(request: HttpRequest) -> HttpResponse:
    _citizens_only(request)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("accounts:security")
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Through authenticate(), so django-axes counts wrong passwords here as well.
        user = authenticate(request, username=request.user.email, password=form.cleaned_data["password"])
        if user is not None and user.pk == request.user.pk:
            reauth_mark(request=request)
            return redirect(next_url)
        form.add_error("password", _("Неверный пароль."))
    return render(request, "accounts/security_reauth.html", {"form": form, "next": next_url})


def _factor_rows(request: HttpRequest) -> list[dict]:
    rows = []
    for device in second_factor_devices(user=request.user):
        method = device_method(device)
        row = {"id": device.persistent_id, "method": method, "removable": method != "sms"}
        if method == "sms":
            row["title"] = _("SMS-код на телефон %(phone)s") % {"phone": mask_phone(request.user.phone)}
        elif method == "totp":
            row["title"] = _("Приложение-аутентификатор")
        else:
            row["title"] = _("Резервные коды: осталось %(count)s") % {"count": device.unused_count}
        rows.append(row)
    return rows


@never_cache
@reauth_required
def security(request: HttpRequest) -> HttpResponse:
    factors = _factor_rows(request)
    has_totp = any(row["method"] == "totp" for row in factors)
    return render(request, "accounts/security.html", {"factors": factors, "has_totp": has_totp})


@never_cache
@reauth_required
@require_http_methods(["GET", "POST"])
def security_totp_add(request: HttpRequest) -> HttpResponse:
    device = totp_enrolment_start(user=request.user, device_id=request.session.get(_TOTP_SESSION_KEY))
    request.session[_TOTP_SESSION_KEY] = device.pk
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_enrolment_confirm(user=request.user, device=device, token=form.cleaned_data["token"], request=request):
            request.session.pop(_TOTP_SESSION_KEY, None)
            messages.success(request, _("Приложение-аутентификатор добавлено."))
            return redirect("accounts:security")
        form.add_error("token", _("Код не подошёл. Проверьте время на телефоне и введите новый код из приложения."))
    context = {"form": form, "qr_svg": totp_qr_svg(device=device), "secret": totp_secret_text(device=device)}
    return render(request, "accounts/security_totp.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@reauth_required
def security_backup_codes(request: HttpRequest) -> HttpResponse:
    """POST: new backup codes, shown once on this response (with download and print); the old ones
    stop working. GET (a reload, a bookmark) explains that and offers to make new ones."""
    if request.method != "POST":
        return render(request, "accounts/security_backup_codes.html", {"codes": []})
    codes = backup_codes_replace(user=request.user, request=request)
    codes_text = _("Резервные коды портала ОМС. Каждый действует один раз.") + "\n\n" + "\n".join(codes) + "\n"
    return render(request, "accounts/security_backup_codes.html", {"codes": codes, "codes_text": codes_text})


@require_POST
@reauth_required
def security_factor_remove(request: HttpRequest) -> HttpResponse:
    try:
        factor_remove(user=request.user, persistent_id=request.POST.get("device", ""), request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Способ входа удалён."))
    return redirect("accounts:security")
