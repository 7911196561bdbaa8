"""The citizen's forms of the policy-update request: one per step, plus the catalogue search.

Forms check shape (digits, lengths, dates); the services check the rules (the yearly СМО change,
one open request per kind). Every field has a hint in plain words (docs/texts.md), and
oms_policy/tests/test_forms.py checks that none is missing.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.constants import Sex
from oms_policy import selectors
from oms_policy.constants import ChangeKind, PolicyKind, SmoChangeReason
from oms_policy.models import PolicyRequest
from oms_policy.services import smo_change_check
from oms_policy.validators import enp_normalize, luhn_is_valid

MAX_AGE_YEARS = 130


class ServiceSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Найти услугу"),
        max_length=100,
        required=False,
        help_text=_("Например: полис ОМС, сменить страховую, фамилия."),
    )


def _digit_word(count: int) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return _("цифра")
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return _("цифры")
    return _("цифр")


class PolicyStepForm(forms.ModelForm):
    """Step 1: the policy the citizen has now."""

    current_policy_kind = forms.ChoiceField(
        label=_("Какой у вас полис"),
        choices=PolicyKind.choices,
        widget=forms.RadioSelect,
        help_text=_("Посмотрите на полис: у полиса единого образца номер из 16 цифр."),
    )
    current_policy_series = forms.CharField(
        label=_("Серия полиса"),
        max_length=10,
        required=False,
        help_text=_("Только для полиса старого образца, например: ЛГ 45."),
    )
    current_policy_number = forms.CharField(
        label=_("Номер полиса"),
        max_length=40,
        help_text=_("Можно с пробелами, как на полисе: 8451 9991 2289 9990."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    region = forms.ModelChoiceField(
        label=_("Регион, где вы живёте"),
        queryset=selectors.region_list_served(),
        empty_label=_("Выберите регион"),
        help_text=_("В этом регионе будет действовать полис; от него зависит список страховых компаний."),
    )

    class Meta:
        model = PolicyRequest
        fields = ["current_policy_kind", "current_policy_series", "current_policy_number", "region"]

    def clean(self):
        data = super().clean()
        kind = data.get("current_policy_kind")
        raw = data.get("current_policy_number")
        if not kind or raw is None:
            return data
        digits = enp_normalize(raw)
        if kind == PolicyKind.OLD:
            series = re.sub(r"\s", "", data.get("current_policy_series") or "").upper()
            if not series:
                self.add_error("current_policy_series", _("Укажите серию полиса — буквы и цифры перед номером."))
            elif not re.fullmatch(r"[0-9A-ZА-ЯЁ]{1,10}", series):
                self.add_error("current_policy_series", _("В серии могут быть только буквы и цифры, до 10 знаков."))
            data["current_policy_series"] = series
            if not re.fullmatch(r"\d{1,20}", digits):
                self.add_error("current_policy_number", _("В номере могут быть только цифры, до 20 цифр."))
            data["current_policy_number"] = digits
            return data
        data["current_policy_series"] = ""
        expected = 16 if kind == PolicyKind.UNIFIED else 9
        if not digits.isdigit():
            self.add_error(
                "current_policy_number", _("В номере могут быть только цифры, пробелы и дефисы. Уберите другие знаки.")
            )
        elif len(digits) != expected:
            self.add_error(
                "current_policy_number",
                _("В номере %(count)s %(word)s, нужно %(expected)s.")
                % {"count": len(digits), "word": _digit_word(len(digits)), "expected": expected},
            )
        elif kind == PolicyKind.UNIFIED and not luhn_is_valid(digits):
            self.add_error(
                "current_policy_number",
                _("Номер с ошибкой: проверьте цифры. Последняя цифра номера — контрольная, она не сходится."),
            )
        data["current_policy_number"] = digits
        return data


class PersonStepForm(forms.ModelForm):
    """Step 2: ФИО, sex, date of birth — from the confirmed account; changed only by a data correction."""

    last_name = forms.CharField(
        label=_("Фамилия"),
        disabled=True,
        required=False,
        help_text=_(
            "Из подтверждённой учётной записи. Если фамилия изменилась, выберите на шаге 3 «Исправление данных»."
        ),
    )
    first_name = forms.CharField(
        label=_("Имя"), disabled=True, required=False, help_text=_("Из подтверждённой учётной записи.")
    )
    patronymic = forms.CharField(
        label=_("Отчество"),
        disabled=True,
        required=False,
        help_text=_("Из подтверждённой учётной записи. Если отчества нет, поле пустое."),
    )
    sex = forms.ChoiceField(
        label=_("Пол"), choices=Sex.choices, widget=forms.RadioSelect, help_text=_("Как в паспорте.")
    )
    birth_date = forms.DateField(
        label=_("Дата рождения"),
        help_text=_("Как в паспорте, например: 17.05.1985."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )

    class Meta:
        model = PolicyRequest
        fields = ["last_name", "first_name", "patronymic", "sex", "birth_date"]

    def __init__(self, *args, applicant, **kwargs):
        super().__init__(*args, **kwargs)
        # What the confirmed account knows is not typed again: it changes only by a data correction.
        if applicant.sex:
            self.fields["sex"].disabled = True
            self.initial["sex"] = applicant.sex
        if applicant.birth_date:
            self.fields["birth_date"].disabled = True
            self.initial["birth_date"] = applicant.birth_date
        for name in ("last_name", "first_name", "patronymic"):
            self.initial[name] = getattr(applicant, name)

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        try:
            oldest = today.replace(year=today.year - MAX_AGE_YEARS)
        except ValueError:  # 29 February
            oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
        if value > today:
            raise ValidationError(_("Дата рождения не может быть позже сегодняшнего дня. Проверьте год."))
        if value < oldest:
            raise ValidationError(
                _("Дата рождения больше чем %(years)s лет назад. Проверьте год.") % {"years": MAX_AGE_YEARS}
            )
        return value


CORRECTION_CHOICES = [
    ("last_name", _("Фамилия")),
    ("first_name", _("Имя")),
    ("patronymic", _("Отчество")),
    ("birth_date", _("Дата рождения")),
    ("birth_place", _("Место рождения")),
    ("passport", _("Паспорт")),
]


class ChangeStepForm(forms.ModelForm):
    """Step 3: what changes — renewal, a data correction (old and new value) or a new СМО."""

    change_kind = forms.ChoiceField(
        label=_("Что нужно сделать"),
        choices=ChangeKind.choices,
        widget=forms.RadioSelect,
        help_text=_("Продление — если полис тот же, а данные не менялись."),
    )
    correction_field = forms.ChoiceField(
        label=_("Какие данные исправить"),
        choices=[("", _("Выберите")), *CORRECTION_CHOICES],
        required=False,
        help_text=_("Только для исправления данных. Документ о причине загрузите на шаге 4."),
    )
    correction_old = forms.CharField(
        label=_("Как записано сейчас"),
        max_length=200,
        required=False,
        help_text=_("Как в полисе сейчас, например: Иванова."),
    )
    correction_new = forms.CharField(
        label=_("Как должно быть"),
        max_length=200,
        required=False,
        help_text=_("Как в новом документе, например: Петрова."),
    )
    new_insurance_company = forms.ModelChoiceField(
        label=_("Новая страховая компания"),
        queryset=selectors.insurance_company_list(),
        required=False,
        empty_label=_("Выберите компанию"),
        help_text=_("Только компании, которые работают в вашем регионе."),
    )
    smo_change_reason = forms.ChoiceField(
        label=_("Почему меняете компанию"),
        choices=SmoChangeReason.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Без переезда — раз в год, до 1 ноября. После переезда — в любой день, нужен документ."),
    )

    class Meta:
        model = PolicyRequest
        fields = ["change_kind", "new_insurance_company", "smo_change_reason"]

    def __init__(self, *args, applicant, region, current_company=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.applicant = applicant
        self.current_company = current_company
        self.fields["new_insurance_company"].queryset = selectors.insurance_company_list(region=region)
        corrections = (self.instance.corrections or {}) if self.instance else {}
        if corrections:
            field, values = next(iter(corrections.items()))
            self.initial.update(
                correction_field=field, correction_old=values.get("old", ""), correction_new=values.get("new", "")
            )

    def clean(self):
        data = super().clean()
        kind = data.get("change_kind")
        data["corrections"] = {}
        if kind == ChangeKind.DATA_CORRECTION:
            field = data.get("correction_field")
            old, new = (data.get("correction_old") or "").strip(), (data.get("correction_new") or "").strip()
            if not field:
                self.add_error("correction_field", _("Выберите, какие данные исправить."))
            if not new:
                self.add_error("correction_new", _("Напишите, как должно быть."))
            elif new == old:
                self.add_error("correction_new", _("Новое значение совпадает с прежним. Проверьте, что исправить."))
            if field and new and new != old:
                data["corrections"] = {field: {"old": old, "new": new}}
        if kind == ChangeKind.SMO_CHANGE:
            company = data.get("new_insurance_company")
            reason = data.get("smo_change_reason")
            if company is None:
                self.add_error("new_insurance_company", _("Выберите новую страховую компанию."))
            elif self.current_company is not None and company.pk == self.current_company.pk:
                self.add_error("new_insurance_company", _("Это ваша нынешняя компания. Выберите другую."))
            if not reason:
                self.add_error("smo_change_reason", _("Выберите причину смены компании."))
            else:
                try:
                    smo_change_check(
                        applicant=self.applicant,
                        reason=reason,
                        on=timezone.localdate(),
                        exclude_request_id=self.instance.pk,
                    )
                except ValidationError as error:
                    self.add_error("smo_change_reason", error)
        else:
            data["new_insurance_company"] = None
            data["smo_change_reason"] = ""
        return data

    def step_values(self) -> dict:
        data = self.cleaned_data
        return {
            "change_kind": data["change_kind"],
            "corrections": data["corrections"],
            "new_insurance_company": data.get("new_insurance_company"),
            "smo_change_reason": data.get("smo_change_reason") or "",
        }


# The forms whose fields a citizen fills in, for the help-text test.
CITIZEN_FORMS = (ServiceSearchForm, PolicyStepForm, PersonStepForm, ChangeStepForm)
