"""The change of phone or e-mail: password, second factor, then the new contact proved. Thin: the
rules are in accounts.contact.services."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.contact import services as contact_services
from accounts.contact.messages import code_resend_wait_message, sms_limit_message
from accounts.models import ContactConfirmation
from accounts.registration.forms import CodeForm, ContactChangeForm, SecondFactorForm
from accounts.security.sms_limits import SmsRateLimited
from accounts.services import mask_phone

Channel = ContactConfirmation.Channel
SESSION_CONTACT = "contact_change"


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
        return code_resend_wait_message(error.seconds_left)
    except second_factor.SecondFactorLocked as error:
        return _locked_message(error.until)
    except SmsRateLimited as error:
        return sms_limit_message(error)
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
                    form.add_error(None, sms_limit_message(error))
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
            notice = code_resend_wait_message(error.seconds_left)
        except SmsRateLimited as error:
            notice = sms_limit_message(error)
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
