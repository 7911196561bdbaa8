"""Registration and the e-mail links (of registration and of a change of e-mail). Thin: the rules are in
the services. The change of phone or e-mail itself is accounts.contact.views."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.contact import services as contact_services
from accounts.contact.messages import code_resend_wait_message, sms_limit_message
from accounts.login.services import known_device_remember
from accounts.registration import services as registration_services
from accounts.registration.forms import CodeForm, RegistrationForm
from accounts.security.sms_limits import SmsRateLimited
from accounts.services import mask_phone

# --- registration ------------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password1", "password2")
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("cabinet")
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration_services.registration_start(
                request=request,
                last_name=data["last_name"],
                first_name=data["first_name"],
                patronymic=data["patronymic"],
                phone=data["phone"],
                email=data["email"],
                password=data["password1"],
            )
        except SmsRateLimited as error:
            form.add_error(None, sms_limit_message(error))
        else:
            return redirect("accounts:register-code")
    return render(request, "accounts/register.html", {"form": form})


@never_cache
def register_code(request: HttpRequest) -> HttpResponse:
    pending = registration_services.registration_pending(request=request)
    if pending is None:
        return redirect("accounts:register")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = registration_services.registration_code_confirm(request=request, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            response = redirect("accounts:register-phone-confirmed")
            # The first login from this browser is then not «a new device».
            known_device_remember(request=request, response=response, user=user)
            return response
    return render(
        request,
        "accounts/register_code.html",
        {
            "form": form,
            "phone_masked": mask_phone(pending["phone"]),
            "resend_seconds_left": registration_services.registration_resend_seconds_left(pending=pending),
            "notice": request.session.pop("registration_notice", ""),
        },
    )


@never_cache
@require_POST
def register_code_resend(request: HttpRequest) -> HttpResponse:
    try:
        registration_services.registration_code_resend(request=request)
    except ValidationError:
        return redirect("accounts:register")
    except registration_services.ResendTooSoon as error:
        request.session["registration_notice"] = code_resend_wait_message(error.seconds_left)
    except SmsRateLimited as error:
        request.session["registration_notice"] = sms_limit_message(error)
    else:
        request.session["registration_notice"] = _("Мы отправили новый код.")
    return redirect("accounts:register-code")


@never_cache
def register_phone_confirmed(request: HttpRequest) -> HttpResponse:
    done = registration_services.registration_done(request=request)
    if done is None:
        return redirect("accounts:register")
    hours = settings.CONTACT_EMAIL_LINK_MAX_AGE // 3600
    return render(request, "accounts/register_phone_confirmed.html", {"done": done, "hours": hours})


# --- e-mail links (registration and change of e-mail) -----------------------------------------


@never_cache
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST uses the link: mail scanners that open links must not spend them."""
    confirmation = contact_services.email_link_confirmation(token=token)
    if request.method == "POST" and confirmation is not None:
        try:
            confirmation = contact_services.email_link_confirm(token=token, request=request)
        except ValidationError as error:
            return render(request, "accounts/register_email_invalid.html", {"error": error.messages[0]}, status=400)
        user = confirmation.user
        user.refresh_from_db()
        return render(
            request,
            "accounts/register_email_done.html",
            {"confirmation": confirmation, "account": user, "is_registration": confirmation.purpose == "registration"},
        )
    if confirmation is None:
        return render(
            request,
            "accounts/register_email_invalid.html",
            {"error": _("Ссылка недействительна: она устарела или уже использована.")},
            status=400,
        )
    return render(request, "accounts/register_email_confirm.html", {"confirmation": confirmation})
