"""The import's forms: the upload ("Prüfen") and the choice of rows for the cart."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from portal.errors import Refusal
from workplaces.listimport import service
from workplaces.listimport.files import (
    MAX_BYTES,
    MAX_ROWS,
    check_upload,
    too_large_message,
)


class UploadForm(forms.Form):
    """One file, checked cheaply at once (size, type, archive); its rows are read in a task."""

    file = forms.FileField(
        label=_("Liste (Excel-Arbeitsmappe .xlsx oder CSV-Datei)"),
        error_messages={
            "required": _("Bitte wählen Sie eine Datei aus."),
            "invalid": _("Bitte wählen Sie eine Datei aus."),
            "missing": _("Bitte wählen Sie eine Datei aus."),
            "empty": _("Die Datei ist leer."),
        },
        widget=forms.FileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Höchstens %(mb)d MB und %(rows)s Zeilen. Spalten wie in der Vorlage."
        ) % {"mb": MAX_BYTES // (1024 * 1024), "rows": number_format(MAX_ROWS, force_grouping=True)}
        self.content = b""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(too_large_message(), code="too_large")
        content = upload.read()
        try:
            check_upload(upload.name or "", content)
        except Refusal as error:
            raise ValidationError(error.message, code=error.code) from None
        self.content = content
        return upload


class _RadioSelectWithDisabled(forms.RadioSelect):
    """Radio buttons of which some can be offered but not chosen (``disabled_values``)."""

    disabled_values: frozenset[str] = frozenset()

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class CartForm(forms.Form):
    """ "In den Warenkorb": only the fault-free rows, or all rows (refused while any has errors)."""

    mode = forms.ChoiceField(
        label=_("Welche Zeilen sollen in den Warenkorb?"),
        widget=_RadioSelectWithDisabled,
        choices=[
            (service.ONLY_OK, _("Nur die fehlerfreien Zeilen")),
            (service.ALL, _("Alle Zeilen (nur möglich, wenn keine Zeile Fehler hat)")),
        ],
        initial=service.ONLY_OK,
        error_messages={
            "required": _("Bitte wählen Sie, welche Zeilen übernommen werden."),
            "invalid_choice": _("Bitte wählen Sie, welche Zeilen übernommen werden."),
        },
    )

    def __init__(self, *args, failed: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if failed:  # the service refuses ALL then; the page does not offer it
            self.fields["mode"].widget.disabled_values = frozenset({service.ALL})
