"""Forms for registration and for a change of phone or e-mail. They check shape; services check rules."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.contrib.auth import password_validation
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from accounts.models import ContactConfirmation, User
from accounts.security.sms_limits import phone_region_served

# Letters of the Russian and Latin alphabets, with a hyphen, apostrophe, dot or space inside
# («Салтыков-Щедрин», «д'Артаньян», «Оглы»): what passports actually contain.
name_validator = RegexValidator(
    r"^[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё' .\-]*$",
    _("Используйте буквы; внутри можно дефис, апостроф или пробел."),
)

PHONE_HINT = _("Мобильный номер, например +7 912 345-67-89. На него придёт SMS с кодом.")
PHONE_INVALID = _("Введите номер мобильного телефона, например +7 912 345-67-89.")
CODE_INVALID = _("Код — это 6 цифр из SMS.")
CONSENT_STATEMENT = _(
    "Даю согласие на обработку моих персональных данных (ФИО, телефон, e-mail) для работы "
    "на портале ОМС в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ "
    "«О персональных данных»."
)


def _phone_field(label, *, required: bool = True) -> PhoneNumberField:
    return PhoneNumberField(
        label=label,
        region="RU",
        required=required,
        help_text=PHONE_HINT,
        error_messages={"invalid": PHONE_INVALID},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


def _phone_mobile_e164(number) -> str:
    """E.164 text of a mobile number; SMS cannot reach a landline, so those are refused here."""
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise forms.ValidationError(PHONE_INVALID, code="not_mobile")
    if not phone_region_served(number.as_e164):
        raise forms.ValidationError(
            _("На номера этой страны портал не отправляет SMS. Укажите мобильный номер российского оператора."),
            code="region",
        )
    return number.as_e164


class RegistrationForm(forms.Form):
    last_name = forms.CharField(
        label=_("Фамилия"),
        max_length=100,
        validators=[name_validator],
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    first_name = forms.CharField(
        label=_("Имя"),
        max_length=100,
        validators=[name_validator],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    patronymic = forms.CharField(
        label=_("Отчество"),
        max_length=100,
        required=False,
        validators=[name_validator],
        help_text=_("Если есть."),
        widget=forms.TextInput(attrs={"autocomplete": "additional-name"}),
    )
    phone = _phone_field(_("Мобильный телефон"))
    email = forms.EmailField(
        label=_("Электронная почта"),
        max_length=254,
        help_text=_("На неё придёт письмо со ссылкой для подтверждения."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Пароль"),
        strip=False,
        help_text=_("Не короче 8 символов, не только цифры, не похож на ваши имя и e-mail."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Пароль ещё раз"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # The short label names the checkbox in the error summary; the statement the person agrees to is
    # the checkbox's own text in the template (CONSENT_STATEMENT), so the summary does not repeat it.
    consent = forms.BooleanField(
        label=_("Согласие на обработку персональных данных"),
        error_messages={
            "required": _("Без согласия на обработку персональных данных зарегистрироваться нельзя."),
        },
    )

    consent_statement = CONSENT_STATEMENT

    # «Обязательное поле» doesn't say what to do; each empty field says what to fill in.
    REQUIRED_MESSAGES = {
        "last_name": _("Укажите фамилию."),
        "first_name": _("Укажите имя."),
        "phone": _("Укажите номер мобильного телефона."),
        "email": _("Укажите e-mail."),
        "password1": _("Придумайте пароль."),
        "password2": _("Повторите пароль."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, message in self.REQUIRED_MESSAGES.items():
            self.fields[name].error_messages["required"] = message

    def clean_phone(self) -> str:
        return _phone_mobile_e164(self.cleaned_data["phone"])

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def clean(self) -> dict:
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", forms.ValidationError(_("Пароли не совпадают."), code="password_mismatch"))
        if password1:
            # The similarity check compares with what the person typed, so build the user unsaved.
            candidate = User(
                email=cleaned.get("email") or "",
                last_name=cleaned.get("last_name") or "",
                first_name=cleaned.get("first_name") or "",
                patronymic=cleaned.get("patronymic") or "",
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Код из SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError(CODE_INVALID, code="shape")
        return code


class ContactChangeForm(forms.Form):
    """What to change and to what, with the current password (the first of the two proofs)."""

    channel = forms.ChoiceField(
        label=_("Что изменить"),
        choices=[
            (ContactConfirmation.Channel.PHONE, _("Номер телефона")),
            (ContactConfirmation.Channel.EMAIL, _("Адрес электронной почты")),
        ],
        widget=forms.RadioSelect,
    )
    new_phone = _phone_field(_("Новый номер телефона"), required=False)
    new_email = forms.EmailField(
        label=_("Новый адрес электронной почты"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Текущий пароль"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, check_password: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.check_password = check_password
        self.fields["new_phone"].help_text = _("На него придёт SMS с кодом подтверждения.")

    def clean_new_phone(self) -> str:
        number = self.cleaned_data.get("new_phone")
        return _phone_mobile_e164(number) if number else ""

    def clean_new_email(self) -> str:
        email = self.cleaned_data.get("new_email") or ""
        return User.objects.normalize_email(email).lower() if email else ""

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if self.check_password and not self.user.check_password(password):
            raise forms.ValidationError(_("Неверный пароль."), code="password_incorrect")
        return password

    def clean(self) -> dict:
        cleaned = super().clean()
        channel = cleaned.get("channel")
        if channel == ContactConfirmation.Channel.PHONE:
            phone = cleaned.get("new_phone")
            if not phone and "new_phone" not in self.errors:
                self.add_error("new_phone", forms.ValidationError(_("Укажите новый номер."), code="required"))
            elif phone and self.user.phone and phone == self.user.phone.as_e164:
                self.add_error("new_phone", _("Это ваш текущий номер."))
        elif channel == ContactConfirmation.Channel.EMAIL:
            email = cleaned.get("new_email")
            if not email and "new_email" not in self.errors:
                self.add_error("new_email", forms.ValidationError(_("Укажите новый адрес."), code="required"))
            elif email and email == self.user.email.lower():
                self.add_error("new_email", _("Это ваш текущий адрес."))
        return cleaned

    @property
    def target(self) -> str:
        if self.cleaned_data["channel"] == ContactConfirmation.Channel.PHONE:
            return self.cleaned_data["new_phone"]
        return self.cleaned_data["new_email"]


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Код подтверждения входа"),
        max_length=20,
        help_text=_("Код из SMS на ваш текущий номер, код из приложения-аутентификатора или один из резервных кодов."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
