from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import AdminRole
from trunks.models import SipTrunk


class RoleForm(forms.Form):
    """Role and trunks of an admin (or of an admin-to-be)."""

    role = forms.ChoiceField(
        label=_("Rolle"),
        choices=AdminRole.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Administrator: alles, auch Administratoren und API-Schlüssel. Bearbeiter: "
            "Arbeitsplätze einrichten, ändern und bestellen. Leser: alles sehen, nichts ändern."
        ),
    )
    limited = forms.BooleanField(label=_("Nur auf bestimmte SIP-Trunks"), required=False)
    trunks = forms.ModelMultipleChoiceField(
        label=_("SIP-Trunks"),
        queryset=SipTrunk.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, customer_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trunks"].queryset = SipTrunk.objects.filter(customer_id=customer_id)


class InvitationForm(RoleForm):
    email = forms.EmailField(label=_("E-Mail-Adresse"), max_length=254)

    field_order = ["email", "role", "limited", "trunks"]


class AcceptForm(forms.Form):
    username = forms.CharField(
        label=_("Benutzername"),
        max_length=150,
        help_text=_("Buchstaben, Ziffern und @ . + - _; für alle Logins des Portals nur einmal."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Passwort wiederholen"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("Die beiden Passwörter stimmen nicht überein."))
        return data
