""" "Fehlerliste herunterladen": the uploaded rows with a column ``Fehler``, to fix and upload.

The rows keep the file's column order and header texts. A ``Fehler`` column the file
already had (an error list uploaded again) is replaced, not repeated. Cells Excel would run
as formulas are made harmless: in CSV they get a quote (:func:`portal.spreadsheet.excel_safe`,
which reading the file again removes); in XLSX they are written as text cells with Excel's
own quote prefix, so the value stays exactly as it was and nothing is ever computed.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from portal.spreadsheet import FORMULA_STARTS, excel_safe
from workplaces.listimport.columns import BY_FIELD, ERROR_HEADER
from workplaces.listimport.files import Sheet

ERROR_SEPARATOR = "; "
SHEET_NAME = "Fehlerliste"


def error_list_rows(
    sheet: Sheet, errors: dict[int, list[str]], *, only_failed: bool = False
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the error list; ``errors`` maps ``Row.line`` to its messages."""
    keep = _positions(sheet)

    def cells(values: list[str]) -> list[str]:
        return [values[i] if i < len(values) else "" for i in keep]

    header = [*cells(sheet.header), ERROR_HEADER]
    rows = []
    for row in sheet.rows:
        messages = errors.get(row.line, [])
        if only_failed and not messages:
            continue
        rows.append([*cells(row.raw), ERROR_SEPARATOR.join(str(m) for m in messages)])
    return header, rows


def _positions(sheet: Sheet) -> list[int]:
    """The file's columns that the error list repeats: all but an old ``Fehler`` column."""
    width = max([len(sheet.header), *(len(row.raw) for row in sheet.rows)])
    return [i for i in range(width) if i != sheet.match.error_position]


def error_list_csv(
    sheet: Sheet, errors: dict[int, list[str]], *, only_failed: bool = False
) -> bytes:
    """UTF-8 with BOM and ``;``, like the overview's export, for German Excel."""
    header, rows = error_list_rows(sheet, errors, only_failed=only_failed)
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    for values in [header, *rows]:
        writer.writerow([excel_safe(v) for v in values])
    return out.getvalue().encode("utf-8")


def error_list_xlsx(
    sheet: Sheet, errors: dict[int, list[str]], *, only_failed: bool = False
) -> bytes:
    header, rows = error_list_rows(sheet, errors, only_failed=only_failed)
    workbook = Workbook(write_only=True)
    out = workbook.create_sheet(SHEET_NAME)
    columns = _columns(sheet)
    for index, (width, text) in enumerate(columns, start=1):
        dimension = out.column_dimensions[get_column_letter(index)]
        dimension.width = width
        if text:
            dimension.number_format = "@"
    out.freeze_panes = "A2"
    bold, red = Font(bold=True), Font(color="C00000")
    wrap = Alignment(wrap_text=True, vertical="top")
    titles = [_text(out, value, font=bold) for value in header[:-1]]
    out.append([*titles, _text(out, header[-1], font=Font(bold=True, color="C00000"))])
    for values in rows:
        cells = [
            _text(out, value, text=text) for value, (_w, text) in zip(values, columns, strict=False)
        ]
        cells[-1] = _text(out, values[-1], font=red, alignment=wrap)
        out.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(out, value: str, *, text=False, font=None, alignment=None) -> WriteOnlyCell:
    """A text cell: never a formula, even when the text starts with ``=``.

    ``text`` formats it as text (``@``) so that editing keeps leading zeros; only for the
    columns that need it (PLZ, numbers), as openpyxl spends time on every styled cell.
    """
    # XLSX cannot hold most control characters (a CSV can); the mark shows where one was.
    cell = WriteOnlyCell(out, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"
    if text:
        cell.number_format = "@"
    if value[:1] in FORMULA_STARTS:
        # Excel's own mark for "text that looks like a formula"; the value stays unchanged.
        cell.quotePrefix = True
    if font:
        cell.font = font
    if alignment:
        cell.alignment = alignment
    return cell


def _columns(sheet: Sheet) -> list[tuple[int, bool]]:
    """Width and text format of each column of the error list (``Fehler`` last)."""
    known = {pos: BY_FIELD[f] for f, pos in sheet.match.positions.items()}
    columns = [
        (known[i].width, known[i].text) if i in known else (16, False) for i in _positions(sheet)
    ]
    return [*columns, (60, False)]
