"""Forms for managing workplaces after setup (overview filters, package change)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workplaces.fields import TextField
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


class PackageChangeForm(forms.Form):
    """Choose the package after the change; options the minimum term forbids are disabled."""

    NONE = "none"

    package = forms.ChoiceField(label=_("Neues Konferenzpaket"), widget=forms.RadioSelect)

    def __init__(self, *args, options: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = {option.value: option for option in options}
        self.fields["package"].choices = [(o.value, o.label) for o in options]

    def clean_package(self):
        option = self.options[self.cleaned_data["package"]]
        if not option.allowed:
            raise forms.ValidationError(option.reason)
        return option.package
