"""Registration, e-mail links, and the change of phone or e-mail. Thin: the rules are in the services."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.contact import services as contact_services
from accounts.login.services import known_device_remember
from accounts.models import ContactConfirmation
from accounts.registration import services as registration_services
from accounts.registration.forms import CodeForm, ContactChangeForm, RegistrationForm, SecondFactorForm
from accounts.security.sms_limits import SmsRateLimited
from accounts.services import mask_phone

Channel = ContactConfirmation.Channel
SESSION_CONTACT = "contact_change"


def _rate_limited_message(error: SmsRateLimited) -> str:
    """Why no SMS can be sent now, with the time the limit itself reports as left (whole minutes, rounded up)."""
    minutes = error.retry_after_minutes
    if error.scope == "region":
        return _("На номера этой страны портал не отправляет SMS. Укажите мобильный номер российского оператора.")
    if error.scope == "global":
        return _(
            "Сейчас портал не может отправить SMS: исчерпан дневной лимит сообщений. Попробуйте завтра "
            "или позвоните на горячую линию %(hotline)s."
        ) % {"hotline": settings.HOTLINE_PHONE}
    return ngettext(
        "Слишком много SMS за короткое время. Новое сообщение можно будет запросить через %(minutes)d минуту.",
        "Слишком много SMS за короткое время. Новое сообщение можно будет запросить через %(minutes)d минут.",
        minutes,
    ) % {"minutes": minutes}


def _too_soon_message(seconds_left: int) -> str:
    return ngettext(
        "Новый код можно запросить через %(seconds)d секунду.",
        "Новый код можно запросить через %(seconds)d секунд.",
        seconds_left,
    ) % {"seconds": seconds_left}


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
            form.add_error(None, _rate_limited_message(error))
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
        request.session["registration_notice"] = _too_soon_message(error.seconds_left)
    except SmsRateLimited as error:
        request.session["registration_notice"] = _rate_limited_message(error)
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


# --- change of phone or e-mail -------------------------------------------------------------------


def _contact_state(request: HttpRequest) -> dict | None:
    state = request.session.get(SESSION_CONTACT)
    if not state or state.get("user") != request.user.pk:
        return None
    started = datetime.fromtimestamp(state["started_at"], tz=timezone.get_current_timezone())
    if (timezone.now() - started).total_seconds() > settings.SMS_CODE_VALID_SECONDS:
        request.session.pop(SESSION_CONTACT, None)
        return None
    return state


def _second_factor_sms(request: HttpRequest) -> str:
    """Send a second-factor SMS if the account has a confirmed phone; a notice for the page."""
    from accounts.security import second_factor

    try:
        second_factor.second_factor_send_sms(user=request.user, request=request)
    except second_factor.NoSmsDevice:
        return ""
    except second_factor.ResendTooSoon as error:
        return _too_soon_message(error.seconds_left)
    except second_factor.SecondFactorLocked as error:
        return _locked_message(error.until)
    except SmsRateLimited as error:
        return _rate_limited_message(error)
    return _("Мы отправили код на ваш текущий номер %(phone)s.") % {"phone": mask_phone(request.user.phone)}


def _locked_message(until) -> str:
    return _(
        "Слишком много неверных кодов. Подтверждение заблокировано до %(until)s. Войти можно также по "
        "резервному коду после разблокировки; при сомнениях звоните на горячую линию %(hotline)s."
    ) % {
        "until": formats.date_format(timezone.localtime(until), "H:i"),
        "hotline": settings.HOTLINE_PHONE,
    }


@never_cache
@login_required
@sensitive_post_parameters("password")
def contact_change(request: HttpRequest) -> HttpResponse:
    """Step 1: what to change, to what, and the current password."""
    form = ContactChangeForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and contact_services.contact_change_password_locked(user=request.user):
        form = ContactChangeForm(request.POST, user=request.user, check_password=False)
        form.is_valid()
        form.add_error(
            "password",
            _("Пароль введён неверно слишком много раз. Попробуйте через 15 минут или восстановите пароль."),
        )
    elif request.method == "POST" and not form.is_valid() and form.has_error("password", "password_incorrect"):
        contact_services.contact_change_password_failed(user=request.user, request=request)
    elif request.method == "POST" and form.is_valid():
        request.session[SESSION_CONTACT] = {
            "user": request.user.pk,
            "channel": form.cleaned_data["channel"],
            "target": form.target,
            "started_at": timezone.now().timestamp(),
        }
        request.session["contact_notice"] = _second_factor_sms(request)
        return redirect("accounts:contact-change-verify")
    # One field at a time: the page first asks what to change, then shows only that field.
    channel = (request.POST if request.method == "POST" else request.GET).get("channel", "")
    if channel not in Channel.values:
        channel = ""
    return render(request, "accounts/contact_change.html", {"form": form, "channel": channel})


@never_cache
@login_required
def contact_change_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the second factor (SMS to the current phone, an authenticator app or a backup code)."""
    from accounts.security import second_factor

    state = _contact_state(request)
    if state is None or state.get("confirmation_id"):
        return redirect("accounts:contact-change")
    if request.method == "POST" and request.POST.get("action") == "resend":
        request.session["contact_notice"] = _second_factor_sms(request)
        return redirect("accounts:contact-change-verify")
    # Bound only to a POST: a GET shows an empty form, not «Обязательное поле» before anything is typed.
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor.second_factor_verify(
                user=request.user, token=form.cleaned_data["token"], request=request
            )
        except second_factor.SecondFactorLocked as error:
            form.add_error("token", _locked_message(error.until))
        else:
            if device is None:
                form.add_error("token", _("Неверный код. Проверьте его и попробуйте ещё раз."))
            else:
                try:
                    confirmation = contact_services.contact_change_start(
                        user=request.user, channel=state["channel"], target=state["target"], request=request
                    )
                except SmsRateLimited as error:
                    form.add_error(None, _rate_limited_message(error))
                else:
                    state["confirmation_id"] = confirmation.pk
                    request.session[SESSION_CONTACT] = state
                    if state["channel"] == Channel.PHONE:
                        return redirect("accounts:contact-change-code")
                    return redirect("accounts:contact-change-email-sent")
    return render(
        request,
        "accounts/contact_verify.html",
        {
            "form": form,
            "notice": request.session.pop("contact_notice", ""),
            "has_phone": bool(request.user.phone and request.user.phone_confirmed_at),
        },
    )


@never_cache
@login_required
def contact_change_code(request: HttpRequest) -> HttpResponse:
    """Step 3 (phone): the code sent to the new number."""
    state = _contact_state(request)
    confirmation = contact_services.contact_change_pending(
        user=request.user, confirmation_id=(state or {}).get("confirmation_id")
    )
    if state is None or confirmation is None or confirmation.channel != Channel.PHONE:
        return redirect("accounts:contact-change")
    notice = ""
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            contact_services.contact_change_code_resend(
                user=request.user, confirmation_id=confirmation.pk, request=request
            )
        except contact_services.ResendTooSoon as error:
            notice = _too_soon_message(error.seconds_left)
        except SmsRateLimited as error:
            notice = _rate_limited_message(error)
        else:
            notice = _("Мы отправили новый код.")
        form = CodeForm()
    else:
        form = CodeForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                contact_services.contact_change_phone_confirm(
                    user=request.user,
                    confirmation_id=confirmation.pk,
                    code=form.cleaned_data["code"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error("code", error)
            else:
                request.session.pop(SESSION_CONTACT, None)
                return render(request, "accounts/contact_done.html", {"channel": Channel.PHONE})
    return render(
        request,
        "accounts/contact_code.html",
        {"form": form, "phone_masked": mask_phone(confirmation.target), "notice": notice},
    )


@never_cache
@login_required
def contact_change_email_sent(request: HttpRequest) -> HttpResponse:
    state = _contact_state(request)
    if state is None or not state.get("confirmation_id") or state["channel"] != Channel.EMAIL:
        return redirect("accounts:contact-change")
    request.session.pop(SESSION_CONTACT, None)
    return render(
        request,
        "accounts/contact_email_sent.html",
        {"email": state["target"], "hours": settings.CONTACT_EMAIL_LINK_MAX_AGE // 3600},
    )
