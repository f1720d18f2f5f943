from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.services import URL_MAX_LENGTH


class WebhookEndpointForm(forms.Form):
    """The address only; what makes it acceptable is :func:`webhooks.services.checked_url`."""

    url = forms.CharField(
        label=_("URL des Endpunkts"),
        max_length=URL_MAX_LENGTH,
        help_text=_("Die HTTPS-Adresse Ihres Systems, an die wir Ereignisse senden."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
    )
