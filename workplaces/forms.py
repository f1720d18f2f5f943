"""The person's forms, shared by the wizard and the edit form after setup.

They render the fields and show what the setup service says; they hold no rule of their own.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workplaces.fields import InputField, show
from workplaces.models import field_limit
from workplaces.services import setup


class UserDataForm(forms.Form):
    """Step 2, Benutzerdaten (and the same fields when editing a workplace)."""

    first_name = InputField(label=_("Vorname"), max_length=field_limit("first_name"))
    last_name = InputField(label=_("Nachname"), max_length=field_limit("last_name"))
    street = InputField(label=_("Straße"), max_length=field_limit("street"))
    house_number = InputField(label=_("Hausnummer"), max_length=field_limit("house_number"))
    postcode = InputField(label=_("PLZ"), max_length=field_limit("postcode"))
    city = InputField(label=_("Ort"), max_length=field_limit("city"))
    email = InputField(label=_("E-Mail-Adresse"), required=False, max_length=field_limit("email"))

    def __init__(self, *args, person=None, check: bool = True, **kwargs) -> None:
        """``check`` False: the command the form's values go to checks them (the wizard's
        ``start_draft`` and ``save_user_data``), so the form does not check them first."""
        if person is not None:
            kwargs.setdefault(
                "initial", {name: getattr(person, name) for name in setup.USER_DATA_FIELDS}
            )
        super().__init__(*args, **kwargs)
        self.check = check

    def clean(self):
        cleaned = super().clean()
        if self.check:
            show(self, setup.check_user_data(data=cleaned))
        return cleaned


class ContactFields(forms.Form):
    """How the credentials travel: e-mail twice, and a mobile number or the box without one."""

    auth_email = InputField(
        label=_("E-Mail-Adresse zur Authentifizierung"), max_length=field_limit("auth_email")
    )
    auth_email_repeat = InputField(
        label=_("E-Mail-Adresse wiederholen"), max_length=field_limit("auth_email")
    )
    mobile = InputField(
        label=_("Mobilfunknummer"), required=False, max_length=field_limit("mobile")
    )
    without_mobile = forms.BooleanField(
        label=_("Authentifizierung ohne Mobilfunknummer"), required=False
    )

    def check_contacts(self, cleaned: dict) -> None:
        checked = setup.check_contacts(
            auth_email=cleaned.get("auth_email"),
            auth_email_repeat=cleaned.get("auth_email_repeat") or "",
            mobile=cleaned.get("mobile"),
            without_mobile=bool(cleaned.get("without_mobile")),
        )
        show(self, checked)
