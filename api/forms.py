from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from api.services import NAME_MAX_LENGTH


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("Wofür der Schlüssel ist, z. B. „Personalsystem“. Er erscheint im Protokoll."),
    )
