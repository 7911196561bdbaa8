from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Телефон, e-mail или СНИЛС"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("Неверный логин или пароль. Проверьте раскладку клавиатуры и Caps Lock."),
        "inactive": _("Учётная запись отключена. Обратитесь в поддержку."),
    }
