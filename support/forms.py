from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LookupForm(forms.Form):
    number = forms.CharField(
        label=_("Номер заявки"),
        max_length=40,
        help_text=_("11 цифр, можно с пробелами или дефисами: 123-456-789-01"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
    )


class CallNoteForm(forms.Form):
    text = forms.CharField(label=_("Заметка о звонке"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
