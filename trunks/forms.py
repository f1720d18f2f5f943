from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trunks.models import NumberBlock
from trunks.services import held_numbers_outside, numbers_overlapping


class NumberSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rufnummer suchen"),
        required=False,
        max_length=40,
        help_text=_("z. B. 0228 181234, +49 228 oder *12 für Ziffern an beliebiger Stelle"),
    )
    free = forms.BooleanField(label=_("Nur freie Rufnummern"), required=False)


class NumberBlockForm(forms.ModelForm):
    """Used by the provider back office: the block must fit the seed's rules as a whole."""

    class Meta:
        model = NumberBlock
        fields = ["trunk", "base", "first_extension", "last_extension"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        block = NumberBlock(
            pk=self.instance.pk,
            trunk=cleaned["trunk"],
            base=cleaned["base"],
            first_extension=cleaned.get("first_extension"),
            last_extension=cleaned.get("last_extension"),
        )
        try:
            block.clean()
        except ValidationError:
            # The model's own clean reports these once, after this method; raising them here
            # would drop the fields from cleaned_data and add contradicting messages.
            return cleaned
        if numbers_overlapping(block):
            raise forms.ValidationError(
                _("Rufnummern dieses Blocks gehören bereits zu einem anderen Block.")
            )
        held = held_numbers_outside(block)
        if held:
            raise forms.ValidationError(
                _("%(count)d vergebene Rufnummern lägen außerhalb des neuen Bereichs.")
                % {"count": held}
            )
        return cleaned
