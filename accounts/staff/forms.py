"""Forms of the staff admin: the login with a TOTP code, and the verifier's refusal."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm
from django.db.models.fields import BLANK_CHOICE_DASH
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.security.second_factor import (
    second_factor_failure_count,
    second_factor_failures_reset,
    second_factor_locked_until,
)
from accounts.verification.services import REFUSAL_REASON_MAX_LENGTH


def staff_totp_devices(user: User) -> list[TOTPDevice]:
    """The confirmed authenticator apps of a staff member: the only second factor the admin takes."""
    return list(TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk"))


class TotpAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """The admin login: e-mail, password and a code from an authenticator app (TOTP).

    SMS codes and backup codes are refused here on purpose: a staff account opens every
    citizen's data, and an SMS can be intercepted or the SIM re-issued (NIST SP 800-63B 5.1.3.3).
    """

    otp_device = forms.CharField(required=False, widget=forms.Select, label=_("Приложение-генератор кодов"))
    otp_token = forms.CharField(
        required=False,
        label=_("Код из приложения"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=_("Введите 6-значный код из приложения-генератора кодов."),
        invalid_token=_("Код не подошёл. Введите новый код из приложения; проверьте время на телефоне."),
        device_required=_("Выберите приложение-генератор кодов."),
        not_interactive=_("Для этого способа не нужен запрос кода: введите код из приложения."),
        verification_not_allowed=_("Проверка кода временно недоступна. Попробуйте позже."),
        n_failed_attempts=_("Слишком много неверных кодов. Подождите немного и попробуйте снова."),
    )
    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        "invalid_login": _("Неверный e-mail или пароль. Вход в админку — только для сотрудников."),
        "inactive": _("Учётная запись отключена."),
    }

    def clean_otp(self, user: User | None) -> None:
        if user is not None and not staff_totp_devices(user):
            raise forms.ValidationError(
                _(
                    "Для входа в админку нужно приложение-генератор кодов (TOTP). Попросите администратора "
                    "подключить его к вашей учётной записи."
                ),
                code="no_totp",
            )
        if user is None:
            super().clean_otp(user)
            return
        # django-otp's own TOTP throttle is off (OTP_TOTP_THROTTLE_FACTOR = 0); the per-account limit
        # of accounts.security.second_factor applies here too, or a stolen password would allow 10**6 guesses.
        locked_until = second_factor_locked_until(user=user)
        if locked_until is not None:
            raise forms.ValidationError(
                _("Слишком много неверных кодов. Вход заблокирован до %(until)s.")
                % {"until": formats.date_format(timezone.localtime(locked_until), "H:i")},
                code="locked",
            )
        try:
            super().clean_otp(user)
        except forms.ValidationError as error:
            if error.code == "invalid_token":
                second_factor_failure_count(user=user, request=self.request, method="totp")
            raise
        if getattr(user, "otp_device", None) is not None:
            second_factor_failures_reset(user=user)

    def _chosen_device(self, user: User):
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            # One app and no choice made: use it (the choice only matters with several apps).
            devices = staff_totp_devices(user)
            return devices[0] if len(devices) == 1 else None
        # Whatever device id was posted, only this staff member's TOTP devices count.
        return device if isinstance(device, TOTPDevice) else None

    @staticmethod
    def device_choices(user: User) -> list[tuple[str, str]]:
        return BLANK_CHOICE_DASH + [(device.persistent_id, device.name) for device in staff_totp_devices(user)]


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Причина отказа"),
        help_text=_("Гражданин увидит этот текст. Напишите, что исправить. Не пишите номера документов."),
        max_length=REFUSAL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": _("Укажите причину отказа — её увидит гражданин.")},
    )


class StaffUserCreationForm(AdminUserCreationForm):
    """Creating an account in the admin: the e-mail is the login."""

    class Meta:
        model = User
        fields = ("email",)


class StaffUserChangeForm(forms.ModelForm):
    """Editing an account in the admin, without the password hash (it is nobody's business)."""

    class Meta:
        model = User
        # Exactly what UserAdmin.fieldsets edits; never the password hash.
        fields = (
            "email",
            "last_name",
            "first_name",
            "patronymic",
            "birth_date",
            "sex",
            "phone",
            "snils",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )
