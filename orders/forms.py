"""The form of a package change, which goes through the cart."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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
