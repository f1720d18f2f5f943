"""Build the files people upload: CSV in their encodings, XLSX as Excel and programs write it."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook

from workplaces.listimport.columns import COLUMNS

HEADER = [c.header for c in COLUMNS]
MANDATORY = ["Vorname", "Nachname", "Straße", "Hausnummer", "PLZ", "Ort"]
JOERG = ["Jörg", "Müller", "Friedrich-Ebert-Allee", "140", "53113", "Bonn"]


def csv_bytes(
    rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8", bom: bool = False
) -> bytes:
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_bytes(*sheets: list[list[object]], at: str = "A1") -> bytes:
    """One sheet per list of rows; the first sheet's rows start at cell ``at``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    start = re.fullmatch(r"([A-Z]+)([0-9]+)", at)
    col0 = ord(start.group(1)) - ord("A") + 1
    row0 = int(start.group(2))
    for index, rows in enumerate(sheets):
        sheet = workbook.create_sheet(f"Blatt {index + 1}")
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                if value is not None:
                    offset = (row0 - 1, col0 - 1) if index == 0 else (0, 0)
                    sheet.cell(row=r + 1 + offset[0], column=c + 1 + offset[1], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_part(xlsx: bytes, part: str, change) -> bytes:
    """The same workbook with one zip part changed (as Excel or another program writes it)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = change(data)
            target.writestr(info.filename, data)
    return buffer.getvalue()


def cached_formula(xlsx: bytes, cell: str, formula: str, cached: str, kind: str = "str") -> bytes:
    """Turn ``cell`` into a formula with a cached result, as Excel saves it."""

    def change(xml: bytes) -> bytes:
        pattern = rb'<c r="' + cell.encode() + rb'"[^>]*?(/>|>.*?</c>)'
        new = (
            f'<c r="{cell}" t="{kind}"><f>{formula}</f><v>{cached}</v></c>'.encode()
            if kind
            else f'<c r="{cell}"><f>{formula}</f><v>{cached}</v></c>'.encode()
        )
        result, count = re.subn(pattern, new, xml, count=1)
        assert count == 1, f"cell {cell} not found"
        return result

    return rewrite_part(xlsx, "xl/worksheets/sheet1.xml", change)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
    'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org'
    '/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Tabelle1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org'
    '/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
    'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def shared_strings_xlsx(rows: list[list[str]], *, unique_count: int | None = None) -> bytes:
    """A workbook as Excel writes it: every text in sharedStrings.xml, cells point to it."""
    strings: list[str] = []
    cells = []
    for r, values in enumerate(rows, start=1):
        row = []
        for c, value in enumerate(values):
            if value not in strings:
                strings.append(value)
            ref = f"{chr(ord('A') + c)}{r}"
            row.append(f'<c r="{ref}" t="s"><v>{strings.index(value)}</v></c>')
        cells.append(f'<row r="{r}">{"".join(row)}</row>')
    unique = len(strings) if unique_count is None else unique_count
    return _shared_strings_workbook(strings, "".join(cells), unique_count=unique)


def _shared_strings_workbook(strings: list[str], rows: str, *, unique_count: int) -> bytes:
    """An XLSX archive of one sheet with ``rows`` (its XML) naming ``strings`` by index."""
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{unique_count}">'
        + "".join(f"<si><t>{s}</t></si>" for s in strings)
        + "</sst>"
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org'
        f'/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", sst)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def repeated_string_xlsx(text: str, count: int, *, header: list[str], row: list[str]) -> bytes:
    """A header, then one row whose cells right of ``row`` all name one shared string ``text``.

    Stored once, the string compresses to almost nothing: the file stays a few KB however
    often it is named.
    """
    from openpyxl.utils import get_column_letter

    strings = [*dict.fromkeys([*header, *row, text])]

    def cells(r: int, values: list[str]) -> str:
        return "".join(
            f'<c r="{get_column_letter(c)}{r}" t="s"><v>{strings.index(v)}</v></c>'
            for c, v in enumerate(values, start=1)
        )

    big = [text] * count
    rows = f'<row r="1">{cells(1, header)}</row><row r="2">{cells(2, [*row, *big])}</row>'
    return _shared_strings_workbook(strings, rows, unique_count=len(strings))
