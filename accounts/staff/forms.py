"""Forms of the staff admin: the login with a TOTP code, the verifier's refusal, and the account form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm
from django.db.models.fields import BLANK_CHOICE_DASH
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.contact.services import contact_taken_check
from accounts.models import ContactConfirmation, User
from accounts.security.second_factor import (
    second_factor_failure_count,
    second_factor_failures_reset,
    second_factor_locked_until,
)
from accounts.validators import snils_display, snils_normalize, validate_snils
from accounts.verification.services import REFUSAL_REASON_MAX_LENGTH, snils_taken_check


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


# Changed only through their services, never by the admin's model form.
STAFF_IDENTITY_FIELDS = ("email", "phone", "snils")


class StaffUserChangeForm(forms.ModelForm):
    """Editing an account in the admin, without the password hash (it is nobody's business).

    The phone, the e-mail and the SNILS are form fields only, never written onto the row by the
    form: UserAdmin.save_model hands them to the services the citizen's own changes go through
    (accounts.contact.staff.contact_change_by_staff, accounts.verification.services.
    snils_change_by_staff), which audit the change and tell the citizen. Here they are checked for
    shape and for another account holding them, so the error stands next to the field.
    """

    email = User._meta.get_field("email").formfield()
    phone = User._meta.get_field("phone").formfield()
    snils = forms.CharField(
        label=_("СНИЛС"),
        required=False,
        max_length=14,
        validators=[validate_snils],
        help_text=_("11 цифр, например 112-233-445 95. Гражданин получит уведомление об изменении."),
    )

    class Meta:
        model = User
        # Exactly what UserAdmin.fieldsets edits; never the password hash. The admin builds its
        # form with the fieldsets' names as `fields` and adds this `exclude`: so the three fields
        # declared above are shown, validated, and never put on the row by construct_instance.
        fields = (
            "last_name",
            "first_name",
            "patronymic",
            "birth_date",
            "sex",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )
        exclude = STAFF_IDENTITY_FIELDS  # noqa: DJ006 (see above)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user = self.instance
        if user.pk:
            self.initial.setdefault("email", user.email)
            self.initial.setdefault("phone", user.phone)
            self.initial.setdefault("snils", snils_display(user.snils) or user.snils or "")
        self.fields["email"].help_text = _("Это логин гражданина. Об изменении узнают старый и новый адрес.")
        self.fields["phone"].help_text = _("Об изменении узнают старый и новый номер.")

    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").lower()
        if self.instance.pk and email != self.instance.email:
            contact_taken_check(user=self.instance, channel=ContactConfirmation.Channel.EMAIL, value=email)
        return email

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        current = self.instance.phone.as_e164 if self.instance.pk and self.instance.phone else ""
        if not phone:
            if current:
                raise forms.ValidationError(_("Номер телефона нельзя удалить: укажите новый номер."), code="required")
            return None
        if self.instance.pk and phone.as_e164 != current:
            contact_taken_check(user=self.instance, channel=ContactConfirmation.Channel.PHONE, value=phone.as_e164)
        return phone

    def clean_snils(self) -> str:
        snils = snils_normalize(self.cleaned_data.get("snils") or "")
        if self.instance.pk and snils and snils != snils_normalize(self.instance.snils or ""):
            snils_taken_check(user=self.instance, snils=snils)
        return snils
