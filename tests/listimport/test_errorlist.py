""" "Fehlerliste herunterladen": the file's rows with a column Fehler, ready to upload again."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from tests.listimport.helpers import JOERG, MANDATORY, csv_bytes, xlsx_bytes
from workplaces.listimport.errorlist import error_list_csv, error_list_xlsx
from workplaces.listimport.files import read_upload

HEADER = ["Personalnummer", "nachname", "Vorname", *MANDATORY[2:], "Rufnummer"]
ROWS = [
    ["4711", "Müller", "Jörg", *JOERG[2:], "0228 181234-13"],
    ["4712", '=HYPERLINK("http://evil.example","x")', "Anna", *JOERG[2:], "+49 228 18123414"],
    ["4713", "Weber", "Ben", *JOERG[2:], "-15"],
]
# Lines as the user sees them: the empty line 3 of the fixture is not repeated.
ERRORS = {
    4: ["Der Nachname enthält unerlaubte Zeichen.", "Die Rufnummer ist schon vergeben."],
    5: ["„-15“ ist keine Rufnummer."],
}


@pytest.fixture
def sheet():
    return read_upload("liste.csv", csv_bytes([HEADER, ROWS[0], [], ROWS[1], ROWS[2]]))


def csv_table(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


def test_the_csv_error_list_has_every_row_in_the_files_order_with_fehler(sheet):
    table = csv_table(error_list_csv(sheet, ERRORS))
    assert table[0] == [*HEADER, "Fehler"]
    assert [row[0] for row in table[1:]] == ["4711", "4712", "4713"]
    assert [row[-1] for row in table[1:]] == [
        "",
        "Der Nachname enthält unerlaubte Zeichen.; Die Rufnummer ist schon vergeben.",
        "„-15“ ist keine Rufnummer.",
    ]


def test_cells_excel_would_run_are_quoted_in_the_csv_error_list(sheet):
    table = csv_table(error_list_csv(sheet, ERRORS))
    assert table[2][1] == '\'=HYPERLINK("http://evil.example","x")'
    assert table[2][-2] == "'+49 228 18123414"
    assert table[3][-2] == "'-15"
    assert table[1][-2] == "0228 181234-13"


def test_the_csv_error_list_uploads_again_with_the_same_values(sheet):
    again = read_upload("fehlerliste.csv", error_list_csv(sheet, ERRORS))
    assert [r.values for r in again.rows] == [r.values for r in sheet.rows]
    assert again.notices == sheet.notices  # Personalnummer only: Fehler is not "unknown"


def test_an_error_list_of_an_error_list_has_one_fehler_column(sheet):
    first = read_upload("fehlerliste.csv", error_list_csv(sheet, ERRORS))
    second = csv_table(error_list_csv(first, {2: ["Neu."]}))
    assert second[0] == [*HEADER, "Fehler"]
    assert [row[-1] for row in second[1:]] == ["Neu.", "", ""]


def test_only_the_failed_rows_on_request(sheet):
    table = csv_table(error_list_csv(sheet, ERRORS, only_failed=True))
    assert [row[0] for row in table[1:]] == ["4712", "4713"]


def test_values_beyond_the_header_are_not_repeated():
    sheet = read_upload("liste.csv", csv_bytes([MANDATORY, [*JOERG, "", "Rest"]]))
    table = csv_table(error_list_csv(sheet, {}))
    assert table == [[*MANDATORY, "Fehler"], [*JOERG, ""]]


def test_the_xlsx_error_list_has_the_same_table_as_text_cells(sheet):
    workbook = load_workbook(io.BytesIO(error_list_xlsx(sheet, ERRORS)))
    rows = [[c.value for c in row] for row in workbook.active.iter_rows()]
    assert rows[0] == [*HEADER, "Fehler"]
    assert rows[2][1] == '=HYPERLINK("http://evil.example","x")'
    assert [row[-1] for row in rows[1:]] == [
        None,
        "Der Nachname enthält unerlaubte Zeichen.; Die Rufnummer ist schon vergeben.",
        "„-15“ ist keine Rufnummer.",
    ]
    assert workbook.active.freeze_panes == "A2"
    letters = {cell.value: cell.column_letter for cell in workbook.active[1]}
    assert workbook.active[f"{letters['PLZ']}2"].number_format == "@"  # editing keeps 01067
    assert workbook.active[f"{letters['Ort']}2"].number_format == "General"


def test_formula_like_text_in_the_xlsx_error_list_is_a_quoted_text_cell_never_a_formula(sheet):
    data = error_list_xlsx(sheet, ERRORS)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml
    workbook = load_workbook(io.BytesIO(data))
    cell = workbook.active["B3"]
    assert cell.data_type == "s" and cell.quotePrefix
    assert workbook.active["E3"].quotePrefix is False  # ordinary text is left alone


def test_the_xlsx_error_list_uploads_again_with_the_same_values(sheet):
    again = read_upload("fehlerliste.xlsx", error_list_xlsx(sheet, ERRORS))
    assert again.kind == "xlsx"
    assert [r.values for r in again.rows] == [r.values for r in sheet.rows]
    assert [r.line for r in again.rows] == [2, 3, 4]


def test_an_xlsx_upload_gives_an_error_list_with_its_text_as_read():
    sheet = read_upload(
        "liste.xlsx",
        xlsx_bytes([[*MANDATORY, "PLZ2"], ["Jörg", "Müller", "A", 12, 1067, "Bonn", 5]]),
    )
    table = csv_table(error_list_csv(sheet, {2: ["Fehler in der Straße."]}))
    assert table[1] == ["Jörg", "Müller", "A", "12", "01067", "Bonn", "5", "Fehler in der Straße."]


def test_control_characters_xlsx_cannot_hold_are_shown_as_replacement_characters():
    sheet = read_upload("liste.csv", csv_bytes([MANDATORY, ["Jö\x1frg", *JOERG[1:]]]))
    errors = {sheet.rows[0].line: ["Vorname: Bitte verwenden Sie nur sichtbare Zeichen."]}
    workbook = load_workbook(io.BytesIO(error_list_xlsx(sheet, errors)))
    assert workbook.active["A2"].value == "Jö\ufffdrg"
