"""The templates behind "Vorlage herunterladen": XLSX with hints, and a bare CSV."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.models import MINIMUM_TERM_DAYS
from catalog.parsing import NO_PACKAGE_LABEL, package_short_name
from trunks.validators import FORBIDDEN_EXTENSION_PREFIXES, MAX_NATIONAL_DIGITS
from workplaces.listimport.columns import COLUMNS
from workplaces.listimport.files import MAX_BYTES, MAX_ROWS
from workplaces.validators import MIN_USERNAME_LENGTH

#: Sheet names are part of the file format (like the headers), so they are not translated.
SHEET_NAME = "Arbeitsplätze"
HINTS_SHEET_NAME = "Hinweise"
AUTHOR = "SIP-Trunk Portal"
#: Yellow marks the mandatory columns, as in the carrier's own import templates.
MANDATORY_FILL = PatternFill("solid", fgColor="FFE699")
OPTIONAL_FILL = PatternFill("solid", fgColor="E7E6E6")
EURO_FORMAT = '#,##0.00 "€"'


class PricedPackage(Protocol):
    code: str
    name: str
    monthly_net: Decimal


def template_csv() -> bytes:
    """The header row only: UTF-8 with BOM and ``;``, as German Excel opens it directly."""
    return ("\ufeff" + ";".join(c.header for c in COLUMNS) + "\r\n").encode("utf-8")


def template_xlsx(packages: Iterable[PricedPackage], rows: Iterable[dict[str, str]] = ()) -> bytes:
    """Sheet "Arbeitsplätze" to fill in, sheet "Hinweise" with the packages and the rules.

    The header texts stay exactly the contract's, so the file can be uploaded as it is:
    mandatory columns are marked by a yellow fill, bold text and their comment, not by an ``*``.
    ``rows`` (column field -> cell text) fill the sheet: the overview's export, which can be
    edited and uploaded again.
    """
    packages = list(packages)
    workbook = Workbook()
    workbook.properties.creator = AUTHOR
    sheet = workbook.active
    sheet.title = SHEET_NAME
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=column.mandatory)
        cell.fill = MANDATORY_FILL if column.mandatory else OPTIONAL_FILL
        comment = Comment(str(column.hint), AUTHOR)
        comment.width, comment.height = 260, 110
        cell.comment = comment
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.text:
            # Text, so Excel keeps 01067 and 0228 ... as typed instead of dropping the zero.
            dimension.number_format = "@"
    sheet.freeze_panes = "A2"
    for line, row in enumerate(rows, start=2):
        for index, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=line, column=index, value=row.get(column.field, "") or None)
            if cell.value is not None:
                cell.data_type = "s"  # as written, never a formula (a name like "=SUM(...)")
    _package_choices(sheet, packages)
    _hints(workbook.create_sheet(HINTS_SHEET_NAME), packages)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _package_choices(sheet, packages: list[PricedPackage]) -> None:
    """A drop-down in the Konferenzpaket column; other values (full names) only warn."""
    choices = [NO_PACKAGE_LABEL, *(package_short_name(p) for p in packages)]
    listed = ",".join(choices)
    if any("," in c or '"' in c for c in choices) or len(listed) > 250:
        return
    index = next(i for i, c in enumerate(COLUMNS, start=1) if c.field == "package")
    letter = get_column_letter(index)
    validation = DataValidation(
        type="list", formula1=f'"{listed}"', allow_blank=True, errorStyle="warning"
    )
    validation.error = _("Bitte wählen Sie ein Konferenzpaket aus der Liste.")
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)


def _hints(sheet, packages: list[PricedPackage]) -> None:
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 38
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 90
    row = 1

    def line(*values, font=None) -> None:
        nonlocal row
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            cell.alignment = wrap
            if font:
                cell.font = font
        row += 1

    sheet.cell(row=row, column=1, value=_("So füllen Sie die Liste aus")).font = Font(
        bold=True, size=14
    )
    row += 2
    for rule in _rules(packages):
        line(rule[0], None, rule[1])
        sheet.cell(row=row - 1, column=1).font = bold
    row += 1
    line(_("Konferenzpakete"), font=Font(bold=True, size=12))
    line(
        _("Paket"),
        _("In der Spalte „Konferenzpaket“ eintragen"),
        _("Monatlich netto (zzgl. MwSt.)"),
        font=bold,
    )
    line(_("Kein Konferenzpaket"), _("%(none)s oder leer") % {"none": NO_PACKAGE_LABEL}, None)
    for package in packages:
        line(package.name, package_short_name(package), package.monthly_net)
        price = sheet.cell(row=row - 1, column=3)
        price.number_format = EURO_FORMAT
        price.alignment = Alignment(horizontal="left")
    row += 1
    line(_("Spalten"), font=Font(bold=True, size=12))
    line(_("Überschrift"), _("Pflichtfeld"), _("Hinweis"), font=bold)
    for column in COLUMNS:
        line(column.header, _("ja") if column.mandatory else _("nein"), str(column.hint))


def _rules(packages: list[PricedPackage]) -> list[tuple[str, str]]:
    choices = [NO_PACKAGE_LABEL, *(package_short_name(p) for p in packages)]
    forbidden = ", ".join(FORBIDDEN_EXTENSION_PREFIXES[:-1])
    return [
        (
            _("Aufbau"),
            _(
                "Eine Zeile je Arbeitsplatz im Blatt „%(sheet)s“. Die Überschriften der ersten "
                "Zeile bitte nicht ändern; die Reihenfolge der Spalten ist frei, weitere Spalten "
                "werden ignoriert. Pflichtfelder sind gelb markiert. Leere Zeilen werden "
                "übersprungen. Höchstens %(rows)s Zeilen und %(mb)d MB je Datei; auch CSV "
                "(UTF-8 oder Windows-1252, getrennt durch Semikolon oder Komma) ist möglich."
            )
            % {
                "sheet": SHEET_NAME,
                "rows": number_format(MAX_ROWS, force_grouping=True),
                "mb": MAX_BYTES // (1024 * 1024),
            },
        ),
        (
            _("Benutzername"),
            _(
                "Mindestens %(min)d Zeichen: Kleinbuchstaben (a-z) und Ziffern, keine Umlaute "
                "und kein ß. Unterstrich, Bindestrich und Punkt sind erlaubt, wenn direkt davor "
                "und danach ein Buchstabe oder eine Ziffer steht; der Benutzername beginnt und "
                "endet mit einem Buchstaben oder einer Ziffer. Er kann nach der Einrichtung "
                "nicht mehr geändert werden. Leer: vorname.nachname, z. B. juergen.mueller."
            )
            % {"min": MIN_USERNAME_LENGTH},
        ),
        (
            _("Rufnummer"),
            _(
                "Eine freie Rufnummer des SIP-Trunks: national (0228 181234-13), international "
                "(+49 228 18123413) oder nur die Durchwahl (13). Interne Rufnummern beginnend "
                "mit %(forbidden)s oder %(last)s und fünfstellige beginnend mit 118 sind nicht "
                "erlaubt. Eine Rufnummer hat höchstens %(max)d Ziffern ohne die führende 0 "
                "(%(max_intl)d mit +49). Leer: die nächste freie Rufnummer."
            )
            % {
                "forbidden": forbidden,
                "last": FORBIDDEN_EXTENSION_PREFIXES[-1],
                "max": MAX_NATIONAL_DIGITS,
                "max_intl": MAX_NATIONAL_DIGITS + 2,
            },
        ),
        (
            _("Mobilfunknummer"),
            _(
                "Muss eine Mobilfunknummer sein, z. B. 0170 1234567: das Passwort kommt dann "
                "per SMS. Ohne Mobilfunknummer kommt das Passwort per E-Mail an die "
                "E-Mail-Adresse zur Authentifizierung."
            ),
        ),
        (
            _("E-Mail-Adresse zur Authentifizierung"),
            _(
                "Erhält Benutzername und Begrüßung. Leer: die Adresse aus der Spalte "
                "„E-Mail-Adresse“; eine der beiden Adressen ist nötig."
            ),
        ),
        (
            _("Konferenzpaket"),
            _(
                "%(choices)s oder leer (siehe unten). Ein kleineres Paket oder die Kündigung "
                "ist erst nach der Mindestvertragslaufzeit von %(days)d Tagen möglich."
            )
            % {"choices": ", ".join(choices), "days": MINIMUM_TERM_DAYS},
        ),
    ]
