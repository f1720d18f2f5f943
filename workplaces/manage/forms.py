"""Forms for managing workplaces after setup: the overview's filters, the edit form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trunks.numbers import format_national
from workplaces.fields import TextField
from workplaces.forms import ContactFields, UserDataForm
from workplaces.models import Workplace

PAGE_SIZES = (15, 30, 60)


class OverviewFilterForm(forms.Form):
    q = TextField(
        label=_("Suche nach Name, Benutzername oder Rufnummer"), required=False, max_length=60
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    package = forms.ChoiceField(label=_("Konferenzpaket"), required=False)
    per_page = forms.TypedChoiceField(
        label=_("Zeilen pro Seite"),
        coerce=int,
        choices=[(n, str(n)) for n in PAGE_SIZES],
        required=False,
        empty_value=PAGE_SIZES[0],
    )

    def __init__(self, *args, packages: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Alle (ohne gelöschte)")),
            *Workplace.Status.choices,
        ]
        self.fields["package"].choices = [
            ("", _("Alle")),
            ("none", _("Kein Konferenzpaket")),
            *[(p.code, p.name) for p in packages],
        ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {"query": "", "status": "", "package": "", "per_page": PAGE_SIZES[0]}
        data = self.cleaned_data
        return {
            "query": data["q"] or "",
            "status": data["status"],
            "package": data["package"],
            "per_page": data["per_page"] or PAGE_SIZES[0],
        }


class WorkplaceEditForm(ContactFields, UserDataForm):
    """Benutzerdaten and contacts of an existing workplace (the username never changes)."""

    def __init__(self, *args, person: Workplace, **kwargs) -> None:
        super().__init__(*args, person=person, **kwargs)
        if not self.is_bound:
            self.initial.update(
                auth_email=person.auth_email,
                auth_email_repeat=person.auth_email,
                mobile=format_national(person.mobile) if person.mobile else "",
                without_mobile=not person.mobile,
            )

    def clean(self):
        cleaned = super().clean()
        self.check_contacts(cleaned)
        return cleaned
