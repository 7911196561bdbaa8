"""Login (password, then a second factor), logout, sessions, «Это был не я» and password reset.

Thin views: the rules live in accounts.security.second_factor, accounts.login.services, accounts.login.password_reset.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.backends import user_find_by_login
from accounts.login.forms import (
    BackupUnlockForm,
    LoginPasswordForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    SecondFactorForm,
)
from accounts.login.lockout import (
    account_guessing_failures,
    account_guessing_locked_until,
    account_guessing_reset,
    backup_login_failures,
    backup_login_locked_until,
    lockout_context,
)
from accounts.login.password_reset import password_reset_completed
from accounts.login.services import (
    PendingLogin,
    login_backup_check,
    login_complete,
    login_failure_record,
    login_password_failed,
    logout_complete,
    not_me_confirm,
    not_me_load,
    pending_login_clear,
    pending_login_get,
    pending_login_start,
    sessions_end_everywhere,
)
from accounts.security.second_factor import (
    NoSmsDevice,
    ResendTooSoon,
    SecondFactorLocked,
    SmsRateLimited,
    backup_code_was_used,
    device_method,
    second_factor_devices,
    second_factor_lock_failures,
    second_factor_locked_until,
    second_factor_send_sms,
    second_factor_verify,
    sms_code_status,
    sms_code_tries_left,
    sms_resend_seconds_left,
)
from accounts.services import mask_phone, request_ip

METHOD_LABELS = {
    "sms": gettext_lazy("SMS-код"),
    "totp": gettext_lazy("Приложение-аутентификатор"),
    "backup_code": gettext_lazy("Резервный код"),
}


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def sms_rate_limited_message(error: SmsRateLimited) -> str:
    """Why no SMS was sent and when one can be asked for again (the real time left, in minutes)."""
    if error.scope == "region":
        return _("На номера этой страны портал не отправляет SMS. Войдите другим способом.")
    if error.scope == "global":
        return _(
            "Сейчас портал не может отправить SMS: исчерпан дневной лимит сообщений. Войдите другим способом "
            "или позвоните на горячую линию %(hotline)s."
        ) % {"hotline": settings.HOTLINE_PHONE}
    minutes = error.retry_after_minutes
    return ngettext(
        "Слишком много SMS за последнее время. Войдите другим способом или запросите код через %(minutes)d минуту.",
        "Слишком много SMS за последнее время. Войдите другим способом или запросите код через %(minutes)d минут.",
        minutes,
    ) % {"minutes": minutes}


def _lockout_page(request: HttpRequest, *, until, reason: str, user=None, username: str = "") -> HttpResponse:
    """The lock-out page with the tries really counted for this lock (not the configured limit)."""
    if reason == "account":
        failures = account_guessing_failures(username=username)
    elif reason == "backup_code":
        failures = backup_login_failures(username=username, ip_address=request_ip(request))
    else:
        failures = second_factor_lock_failures(user=user)
    context = lockout_context(until=until, reason=reason, failures=failures)
    return render(request, "accounts/lockout.html", context, status=429)


# --- step 1: login and password ---------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_password(request: HttpRequest) -> HttpResponse:
    """Step 1. The answer to a wrong password and to an unknown login is the same, word for word."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    # An empty POST is still a submit: it must say what to fill in (request.POST is falsy then).
    form = LoginPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        account_locked_until = account_guessing_locked_until(request=request, username=username)
        if account_locked_until is not None:
            return _lockout_page(request, until=account_locked_until, reason="account", username=username)
        # authenticate() passes through django-axes first: a locked-out login never reaches the
        # password check, and AxesMiddleware turns the refusal into the lock-out page.
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None:
            account_guessing_reset(username=username)
            pending_login_start(request=request, user=user, next_url=next_url)
            methods = second_factor_methods(user=user)
            if methods and methods[0] == "sms":
                # SMS is the first way only when there is no app: an app's users ask for an SMS
                # themselves. If sending fails, step 2 explains why and offers the other ways.
                try:
                    second_factor_send_sms(user=user, request=request)
                except SmsRateLimited as limited:
                    messages.error(request, sms_rate_limited_message(limited))
                except (ResendTooSoon, SecondFactorLocked, NoSmsDevice):
                    pass  # a live code is on its way already / step 2 shows the lock-out
            return redirect("accounts:login_code")
        login_password_failed(request=request, username=username)
        form.add_error(None, _("Неверный логин или пароль. Проверьте раскладку клавиатуры и Caps Lock."))
        form.mark_invalid()
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


# --- step 2: the second factor -----------------------------------------------------------------


def second_factor_methods(*, user) -> list[str]:
    """The user's ways to pass step 2, the one offered first first: the app when there is one
    (it costs nothing and works without network), else SMS, and backup codes last."""
    seen: list[str] = []
    for device in second_factor_devices(user=user):
        method = device_method(device)
        if method not in seen:
            seen.append(method)
    if "totp" in seen:
        seen.remove("totp")
        seen.insert(0, "totp")
    return seen


def _finish(request: HttpRequest, pending: PendingLogin, device) -> HttpResponse:
    target = pending.next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
    return login_complete(
        request=request, response_factory=lambda: HttpResponseRedirect(target), pending=pending, device=device
    )


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: an SMS code, a TOTP code or a backup code. Only after it passes is the person logged in."""
    pending = pending_login_get(request=request)
    if pending is None:
        messages.info(request, _("Время на ввод кода истекло или вход не начат. Введите логин и пароль."))
        return redirect("accounts:login")
    user = pending.user
    methods = second_factor_methods(user=user)
    if not methods:
        pending_login_clear(request=request)
        return render(request, "accounts/login_no_factor.html", status=403)
    method = request.POST.get("method") or request.GET.get("method") or methods[0]
    if method not in methods:
        method = methods[0]
    form = SecondFactorForm(request.POST if request.POST.get("action") == "verify" else None)
    error = ""
    sms_status: str | None = None  # read once per request: each read is a query
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "send_sms" and method == "sms" and sms_code_status(user=user) == "active":
        # «Получить код по SMS» while a code is still live: that code is the one to type.
        return redirect(f"{reverse('accounts:login_code')}?method=sms")
    if action in {"resend", "send_sms"} and method == "sms":
        try:
            second_factor_send_sms(user=user, request=request)
            messages.success(request, _("Новый код отправлен.") if action == "resend" else _("Код отправлен."))
            return redirect(f"{reverse('accounts:login_code')}?method=sms")
        except ResendTooSoon as too_soon:
            error = _("Новый код можно запросить через %(seconds)s с.") % {"seconds": too_soon.seconds_left}
        except SmsRateLimited as limited:
            error = sms_rate_limited_message(limited)
        except SecondFactorLocked as locked:
            return _lockout_page(request, until=locked.until, reason="second_factor", user=user)
    elif request.method == "POST" and form.is_valid():
        try:
            device = second_factor_verify(user=user, token=form.cleaned_data["token"], request=request, method=method)
        except SecondFactorLocked as locked:
            return _lockout_page(request, until=locked.until, reason="second_factor", user=user)
        if device is not None:
            return _finish(request, pending, device)
        login_failure_record(request=request, subject=user, details={"step": "second_factor", "method": method})
        locked_until = second_factor_locked_until(user=user)
        if locked_until is not None:
            return _lockout_page(request, until=locked_until, reason="second_factor", user=user)
        sms_status = sms_code_status(user=user) if method == "sms" else ""
        if sms_status == "spent":
            error = _("Код введён неверно %(limit)s раз и больше не действует. Запросите новый код.") % {
                "limit": settings.SMS_CODE_MAX_FAILURES
            }
        elif sms_status == "expired":
            error = _("Срок действия кода истёк. Запросите новый код.")
        elif sms_status == "active":
            left = sms_code_tries_left(user=user)
            error = ngettext(
                "Неверный код. Осталась %(left)d попытка.", "Неверный код. Осталось попыток: %(left)d.", left
            ) % {"left": left}
        elif method == "backup_code" and backup_code_was_used(user=user, token=form.cleaned_data["token"]):
            error = _("Этот резервный код уже использован: каждый действует один раз. Введите другой код из списка.")
        else:
            error = _("Неверный код.")
        form.add_error("token", error)
        error = ""
    if sms_status is None:
        sms_status = sms_code_status(user=user) if method == "sms" else ""
    context = {
        "form": form,
        "method": method,
        "methods": [(name, METHOD_LABELS[name]) for name in methods],
        "method_label": METHOD_LABELS[method],
        "masked_phone": mask_phone(user.phone) if "sms" in methods else "",
        "has_sms": "sms" in methods,
        "sms_status": sms_status,
        "resend_seconds_left": sms_resend_seconds_left(user=user) if method == "sms" else 0,
        "error": error,
        "code_valid_minutes": settings.SMS_CODE_VALID_SECONDS // 60,
    }
    return render(request, "accounts/login_code.html", context)


# --- the remote way back from a lock-out: password + backup code -----------------------------------


@sensitive_post_parameters("password", "backup_code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_backup(request: HttpRequest) -> HttpResponse:
    """Log in with the password and a backup code; a valid backup code lifts the password lock-out.

    The lock-out exists against password guessing; someone holding one of the owner's backup codes
    and the password is the owner. Wrong passwords and codes count per login + address here; wrong
    codes after the right password also count against the account's second-factor limit.
    """
    form = BackupUnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        ip_address = request_ip(request)
        account_locked_until = account_guessing_locked_until(request=request, username=username)
        if account_locked_until is not None:
            return _lockout_page(request, until=account_locked_until, reason="account", username=username)
        locked_until = backup_login_locked_until(username=username, ip_address=ip_address)
        if locked_until is not None:
            return _lockout_page(request, until=locked_until, reason="backup_code", username=username)
        try:
            device = login_backup_check(
                request=request,
                username=username,
                password=form.cleaned_data["password"],
                backup_code=form.cleaned_data["backup_code"],
            )
        except SecondFactorLocked as locked:
            return _lockout_page(request, until=locked.until, reason="second_factor", user=user_find_by_login(username))
        if device is not None:
            return _finish(request, pending_login_get(request=request), device)
        form.add_error(None, _("Неверный логин, пароль или резервный код."))
    return render(request, "accounts/login_backup.html", {"form": form})


# --- logout, logout everywhere, keep-alive ----------------------------------------------------------


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    logout_complete(request=request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
@csrf_protect
@login_required
def logout_all(request: HttpRequest) -> HttpResponse:
    """«Выйти на всех устройствах»: every other session ends; this one continues under a new key."""
    sessions_end_everywhere(user=request.user, request=request, keep_current=True)
    messages.success(request, _("Вы вышли на всех остальных устройствах. Этот сеанс продолжается."))
    return redirect(_safe_next(request, request.POST.get("next")) or "accounts:security")


@require_POST
@csrf_protect
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """«Продлить сеанс»: saves the session now, so its expiry is a full SESSION_COOKIE_AGE from now."""
    if not request.user.is_authenticated:
        return JsonResponse({"active": False}, status=401)
    request.session.modified = True
    return JsonResponse({"active": True, "idle_seconds": settings.SESSION_COOKIE_AGE})


# --- «Это был не я» ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def not_me(request: HttpRequest, value: str) -> HttpResponse:
    """From the alert: GET asks to confirm, POST ends every session and e-mails a reset link.

    The action waits for a button press because mail scanners open links in e-mails: a GET that
    ended sessions would log people out whenever their mailbox checked the message.
    """
    user = not_me_load(value=value)
    if user is None:
        return render(request, "accounts/not_me.html", {"valid": False}, status=400)
    if request.method != "POST":
        return render(request, "accounts/not_me.html", {"valid": True, "confirm": True})
    not_me_confirm(user=user, request=request)
    if request.user.is_authenticated:
        logout(request)
    return render(request, "accounts/not_me.html", {"valid": True, "email": user.email})


# --- password reset ------------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = PortalPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password; no automatic login — the person logs in and passes the second factor."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        # The new password, the sessions ended and the audit row: all or nothing.
        with transaction.atomic():
            response = super().form_valid(form)
            password_reset_completed(user=form.user, request=self.request)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
