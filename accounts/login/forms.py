"""Forms for login, the second factor, password reset and the «Безопасность» page: shape only."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class LoginPasswordForm(forms.Form):
    username = forms.CharField(
        label=_("Телефон, e-mail или СНИЛС"),
        max_length=254,
        error_messages={"required": _("Укажите телефон, e-mail или СНИЛС.")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Пароль"),
        strip=False,
        max_length=4096,
        error_messages={"required": _("Укажите пароль.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def mark_invalid(self) -> None:
        """A wrong login or password: both fields are marked (which one was wrong is not said)."""
        for name in ("username", "password"):
            self.fields[name].widget.attrs["aria-invalid"] = "true"


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Код"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
    )


class BackupUnlockForm(LoginPasswordForm):
    backup_code = forms.CharField(
        label=_("Резервный код"),
        max_length=20,
        help_text=_("Один из десяти кодов, которые вы сохранили при их создании."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Пароль"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class TotpConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Код из приложения"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending through the notifications outbox instead of send_mail."""

    email = forms.EmailField(
        label=_("E-mail, указанный в учётной записи"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def save(self, *args, request=None, **kwargs) -> None:  # type: ignore[override]
        from accounts.login.password_reset import password_reset_request
        from accounts.services import request_ip

        password_reset_request(email=self.cleaned_data["email"], ip_address=request_ip(request))


class PortalSetPasswordForm(SetPasswordForm):
    """The new password after a reset link, in the same words as registration.

    Django's stock form says «Введенные пароли не совпадают» and lists four rules; and it checks the
    rules only on the second field, so a mismatch hid a too-short password until the next try.
    Here the rules are checked on the first field whatever the second holds.
    """

    user: User

    new_password1 = forms.CharField(
        label=_("Новый пароль"),
        strip=False,
        help_text=_("Не короче 8 символов, не только цифры, не похож на ваши имя и e-mail."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    new_password2 = forms.CharField(
        label=_("Новый пароль ещё раз"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        cleaned = forms.Form.clean(self)
        password1 = cleaned.get("new_password1")
        password2 = cleaned.get("new_password2")
        if password1 and password2 and password1 != password2:
            self.add_error("new_password2", forms.ValidationError(_("Пароли не совпадают."), code="password_mismatch"))
        if password1:
            try:
                password_validation.validate_password(password1, self.user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned
