from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from support.constants import RatingPoint


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Сообщение"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.SUPPORT_MESSAGE_MAX_LENGTH,
        strip=True,
    )
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Оценка"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Комментарий (необязательно)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RequestRatingForm(RatingForm):
    point = forms.ChoiceField(
        choices=[(p.value, p.label) for p in RatingPoint if p != RatingPoint.CHAT], widget=forms.HiddenInput
    )


class TransferForm(forms.Form):
    to_operator = forms.IntegerField(label=_("Кому передать"))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Текст сообщения"), min_length=2, max_length=200)


class LookupForm(forms.Form):
    number = forms.CharField(
        label=_("Номер заявки"),
        max_length=40,
        help_text=_("11 цифр, можно с пробелами или дефисами: 123-456-789-01"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
    )


class CallNoteForm(forms.Form):
    text = forms.CharField(label=_("Заметка о звонке"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
