"""The templates behind "Vorlage herunterladen": exact headers, hints, rules, and they read back."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from orders.models import Package
from tests.listimport.helpers import HEADER, MANDATORY
from workplaces.listimport.files import read_upload
from workplaces.listimport.template import template_csv, template_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def workbook(packages):
    return load_workbook(io.BytesIO(template_xlsx(Package.objects.conference())))


def test_the_xlsx_template_has_the_exact_headers_on_sheet_arbeitsplaetze(workbook):
    assert workbook.sheetnames == ["Arbeitsplätze", "Hinweise"]
    sheet = workbook["Arbeitsplätze"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"


def test_mandatory_columns_are_marked_by_style_and_comment_not_by_their_text(workbook):
    sheet = workbook["Arbeitsplätze"]
    marked = [cell.value for cell in sheet[1] if cell.font.b]
    assert marked == MANDATORY
    for cell in sheet[1]:
        assert cell.comment is not None
        assert cell.comment.text.startswith(
            "Pflichtfeld." if cell.value in MANDATORY else "Optional."
        )
    assert {sheet["A1"].fill.fgColor.rgb} != {sheet["G1"].fill.fgColor.rgb}


def test_every_column_has_its_hint_and_a_width(workbook):
    sheet = workbook["Arbeitsplätze"]
    comments = {cell.value: cell.comment.text for cell in sheet[1]}
    assert "0228 181234-13" in comments["Rufnummer"] and "Durchwahl 13" in comments["Rufnummer"]
    assert "Leer: das Passwort kommt per E-Mail." in comments["Mobilfunknummer"]
    assert "Leer: kein Paket." in comments["Konferenzpaket"]
    for cell in sheet[1]:
        assert sheet.column_dimensions[cell.column_letter].width >= 8


def test_postcode_and_phone_columns_are_formatted_as_text_so_zeros_survive(workbook):
    sheet = workbook["Arbeitsplätze"]
    letters = {cell.value: cell.column_letter for cell in sheet[1]}
    for header in ("PLZ", "Rufnummer", "Mobilfunknummer", "Hausnummer"):
        assert sheet.column_dimensions[letters[header]].number_format == "@", header
    assert sheet.column_dimensions[letters["Vorname"]].number_format == "General"


def test_the_package_column_offers_the_short_names(workbook):
    sheet = workbook["Arbeitsplätze"]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.formula1 == '"Kein,Basic,Plus,Premium"'
    assert str(validation.sqref) == "L2:L5001"
    assert validation.allow_blank and validation.errorStyle == "warning"


def test_the_hints_sheet_lists_packages_with_what_to_write_and_the_net_price(workbook):
    rows = [[c.value for c in row] for row in workbook["Hinweise"].iter_rows()]
    start = rows.index(
        ["Paket", "In der Spalte „Konferenzpaket“ eintragen", "Monatlich netto (zzgl. MwSt.)"]
    )
    assert rows[start + 1 : start + 5] == [
        ["Kein Konferenzpaket", "Kein oder leer", None],
        ["Konferenz Basic", "Basic", 4.9],
        ["Konferenz Plus", "Plus", 9.9],
        ["Konferenz Premium", "Premium", 14.9],
    ]
    price = workbook["Hinweise"].cell(row=start + 3, column=3)  # rows are 1-based
    assert price.number_format == '#,##0.00 "€"'


def test_the_hints_sheet_states_the_rules(workbook):
    text = " ".join(
        str(c.value) for row in workbook["Hinweise"].iter_rows() for c in row if c.value
    )
    for rule in (
        "Mindestens 5 Zeichen",
        "keine Umlaute",
        "beginnend mit 77, 78, 110 oder 112",
        "fünfstellige beginnend mit 118",
        "höchstens 12 Ziffern ohne die führende 0 (14 mit +49)",
        "Ohne Mobilfunknummer kommt das Passwort per E-Mail",
        "Muss eine Mobilfunknummer sein",
        "Höchstens 5.000 Zeilen und 5 MB",
        "Kein, Basic, Plus, Premium oder leer",
        "Mindestvertragslaufzeit von 30 Tagen",
    ):
        assert rule in text, rule
    for header in HEADER:
        assert header in text


def test_the_xlsx_template_reads_back_with_no_rows_and_no_notice(packages):
    sheet = read_upload("vorlage.xlsx", template_xlsx(Package.objects.conference()))
    assert [c.header for c in sheet.columns] == HEADER
    assert sheet.rows == [] and sheet.notices == []


def test_a_filled_in_template_is_read(packages, workbook):
    sheet = workbook["Arbeitsplätze"]
    sheet.append(
        ["Anna", "Schmidt", "Prager Str.", "2", "01067", "Dresden", "", "", "", "", "13", "Plus"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = read_upload("vorlage.xlsx", buffer.getvalue())
    assert [(r.line, r.values["postcode"], r.values["package"]) for r in read.rows] == [
        (2, "01067", "Plus")
    ]


def test_the_csv_template_is_the_header_in_utf8_with_bom_and_semicolons():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8") == ";".join(HEADER) + "\r\n"
    sheet = read_upload("vorlage.csv", data)
    assert [c.header for c in sheet.columns] == HEADER
    assert sheet.rows == [] and sheet.notices == []


def test_the_headers_stay_german_in_an_english_ui_but_the_hints_are_translated(packages):
    with translation.override("en"):
        data = template_xlsx(Package.objects.conference())
        csv_data = template_csv()
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Arbeitsplätze"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet["A1"].comment.text == "Mandatory. First name, e.g. Jürgen."
    assert csv_data[3:].decode().startswith("Vorname;Nachname;Straße")
