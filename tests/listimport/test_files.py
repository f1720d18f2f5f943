"""Reading uploaded lists: the files people really have, and the ones that must be refused."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import warnings
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import IllegalCharacterError

from portal.errors import Refusal
from tests.listimport.helpers import (
    HEADER,
    JOERG,
    MANDATORY,
    cached_formula,
    csv_bytes,
    repeated_string_xlsx,
    rewrite_part,
    shared_strings_xlsx,
    xlsx_bytes,
)
from workplaces.listimport import files
from workplaces.listimport.columns import COLUMNS
from workplaces.listimport.files import MAX_BYTES, MAX_ROWS, Sheet, budget, read_upload


def refused(name: str, data: bytes) -> str:
    with pytest.raises(Refusal) as caught:
        read_upload(name, data)
    return caught.value.message


def values(sheet: Sheet, *fields: str) -> list[tuple[str, ...]]:
    return [tuple(row.values[f] for f in fields) for row in sheet.rows]


ADDRESS = ("first_name", "last_name", "street", "house_number", "postcode", "city")


# --- CSV: encodings, BOM, delimiters ----------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False], ids=["with BOM", "without BOM"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_utf8_csv_is_read_with_or_without_bom_and_either_delimiter(bom, delimiter):
    sheet = read_upload("liste.csv", csv_bytes([MANDATORY, JOERG], delimiter=delimiter, bom=bom))
    assert sheet.kind == "csv"
    assert [c.header for c in sheet.columns] == MANDATORY
    assert values(sheet, *ADDRESS) == [tuple(JOERG)]
    assert sheet.rows[0].line == 2


@pytest.mark.parametrize("delimiter", [";", ","])
def test_windows_1252_csv_keeps_its_umlauts(delimiter):
    data = csv_bytes(
        [MANDATORY, ["Jürgen", "Müßig", "Straße", "1", "53113", "Köln"]],
        delimiter=delimiter,
        encoding="cp1252",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    sheet = read_upload("liste.csv", data)
    assert values(sheet, "first_name", "last_name", "city") == [("Jürgen", "Müßig", "Köln")]


def test_a_utf8_bom_in_front_of_windows_1252_text_is_dropped():
    data = b"\xef\xbb\xbf" + csv_bytes([MANDATORY, ["Jürgen", *JOERG[1:]]], encoding="cp1252")
    assert values(read_upload("liste.csv", data), "first_name") == [("Jürgen",)]


def test_the_delimiter_is_the_one_that_finds_the_headers_even_with_commas_in_cells():
    # Semicolon file whose header has no semicolon-free commas: ";" must win.
    data = csv_bytes(
        [MANDATORY, ["Jörg", "Müller, Dr.", "Hauptstr. 1, Hinterhaus", "1", "53113", "Bonn"]]
    )
    sheet = read_upload("liste.csv", data)
    assert values(sheet, "last_name", "street") == [("Müller, Dr.", "Hauptstr. 1, Hinterhaus")]


def test_quoted_comma_csv_with_delimiters_inside_quotes():
    data = 'Vorname,Nachname,Straße,Hausnummer,PLZ,Ort\r\n"Jörg","Müller; Meier","A, B","1","53113","Bonn"\r\n'
    sheet = read_upload("liste.csv", data.encode())
    assert values(sheet, "last_name", "street") == [("Müller; Meier", "A, B")]


def test_a_file_of_delimiters_only_is_refused_for_having_no_header():
    message = refused("liste.csv", b";" * 200_000)
    assert message.startswith("In der Datei steht keine Kopfzeile")


def test_tab_separated_text_is_read_too():
    sheet = read_upload("liste.txt", csv_bytes([MANDATORY, JOERG], delimiter="\t"))
    assert values(sheet, *ADDRESS) == [tuple(JOERG)]


def test_excels_sep_line_sets_the_delimiter_and_is_not_counted():
    data = b"sep=,\r\n" + csv_bytes([MANDATORY, JOERG], delimiter=",")
    sheet = read_upload("liste.csv", data)
    assert values(sheet, *ADDRESS) == [tuple(JOERG)]
    assert sheet.header_line == 1 and sheet.rows[0].line == 2


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_any_line_ending_works(newline):
    text = newline.join([";".join(MANDATORY), ";".join(JOERG), ";".join(JOERG)]) + newline
    sheet = read_upload("liste.csv", text.encode())
    assert [row.line for row in sheet.rows] == [2, 3]


def test_csv_keeps_leading_zeros_of_postcodes_and_numbers():
    header = [*MANDATORY, "Rufnummer", "Mobilfunknummer"]
    row = [
        "Anna",
        "Schmidt",
        "Prager Str.",
        "2",
        "01067",
        "Dresden",
        "0228 181234-13",
        "0170 1234567",
    ]
    sheet = read_upload("liste.csv", csv_bytes([header, row]))
    assert values(sheet, "postcode", "number", "mobile") == [
        ("01067", "0228 181234-13", "0170 1234567")
    ]


def test_cells_are_stripped_of_spaces_bom_and_zero_width_spaces_and_nfc_normalised():
    row = ["  Jo\u0308rg\u00a0", "\u200bMüller ", " Allee\t", " 1 ", "\ufeff53113", "Bonn  "]
    sheet = read_upload("liste.csv", csv_bytes([MANDATORY, row]))
    assert values(sheet, *ADDRESS) == [("Jörg", "Müller", "Allee", "1", "53113", "Bonn")]


def test_a_quote_our_error_list_put_before_a_formula_start_is_removed():
    header = [*MANDATORY, "Rufnummer"]
    row = ["'=Jörg", "'t Hart", *JOERG[2:], "'+49 228 18123413"]
    sheet = read_upload("fehlerliste.csv", csv_bytes([header, row]))
    assert values(sheet, "first_name", "last_name", "number") == [
        ("=Jörg", "'t Hart", "+49 228 18123413")
    ]


# --- header variants ---------------------------------------------------------------------


def test_header_order_is_free_and_case_spaces_hyphens_and_a_star_do_not_matter():
    header = [
        "  ort ",
        "PLZ*",
        "HAUSNUMMER",
        "strasse",
        "Nachname",
        "vorname",
        "E-Mail Adresse",
        "e-mail-adresse zur authentifizierung",
        "KONFERENZPAKET",
    ]
    row = [
        "Bonn",
        "53113",
        "140",
        "Allee",
        "Müller",
        "Jörg",
        "j@example.com",
        "a@example.com",
        "Plus",
    ]
    sheet = read_upload("liste.csv", csv_bytes([header, row]))
    assert values(sheet, *ADDRESS, "email", "auth_email", "package") == [
        (
            "Jörg",
            "Müller",
            "Allee",
            "140",
            "53113",
            "Bonn",
            "j@example.com",
            "a@example.com",
            "Plus",
        )
    ]
    assert [c.header for c in sheet.columns] == [
        "Ort",
        "PLZ",
        "Hausnummer",
        "Straße",
        "Nachname",
        "Vorname",
        "E-Mail-Adresse",
        "E-Mail-Adresse zur Authentifizierung",
        "Konferenzpaket",
    ]


def test_missing_optional_columns_give_empty_values():
    sheet = read_upload("liste.csv", csv_bytes([MANDATORY, JOERG]))
    assert sheet.rows[0].values["username"] == "" and sheet.rows[0].values["package"] == ""
    assert set(sheet.rows[0].values) == {c.field for c in COLUMNS}


def test_unknown_columns_are_ignored_with_a_notice_and_the_fehler_column_silently():
    header = ["Personalnummer", *MANDATORY, "Fehler", "Kostenstelle"]
    sheet = read_upload("liste.csv", csv_bytes([header, ["4711", *JOERG, "alt", "K1"]]))
    assert values(sheet, *ADDRESS) == [tuple(JOERG)]
    assert sheet.notices == [
        "Diese Spalten sind unbekannt und werden nicht übernommen: „Personalnummer“, „Kostenstelle“."
    ]
    assert sheet.rows[0].raw == ["4711", *JOERG, "alt", "K1"]


def test_a_known_column_twice_is_refused():
    header = [*MANDATORY, "vorname "]
    message = refused("liste.csv", csv_bytes([header, [*JOERG, "X"]]))
    assert (
        message
        == "Die Spalte „Vorname“ kommt mehrfach vor (Spalten A, G). Bitte lassen Sie nur eine stehen."
    )


def test_missing_mandatory_columns_are_named():
    message = refused(
        "liste.csv", csv_bytes([["Vorname", "Nachname", "Straße", "Hausnummer"], JOERG[:4]])
    )
    assert message == "In der Kopfzeile fehlen die Pflichtspalten „PLZ“, „Ort“."
    message = refused("liste.csv", csv_bytes([MANDATORY[:-1], JOERG[:-1]]))
    assert message == "In der Kopfzeile fehlt die Pflichtspalte „Ort“."


def test_a_file_without_a_known_header_is_refused_with_the_expected_headers():
    message = refused("liste.csv", csv_bytes([["First name", "Last name"], ["Jörg", "Müller"]]))
    assert message.startswith(
        "In der Datei steht keine Kopfzeile mit bekannten Spaltenüberschriften."
    )
    assert ", ".join(HEADER) in message


def test_a_title_above_the_header_is_skipped_and_lines_stay_as_excel_shows_them():
    rows = [["Mitarbeiterliste Stand März"], [], MANDATORY, JOERG]
    sheet = read_upload("liste.csv", csv_bytes(rows))
    assert sheet.header_line == 3 and [r.line for r in sheet.rows] == [4]
    assert sheet.notices == [
        "Die Kopfzeile steht in Zeile 3; die Zeilen darüber werden nicht übernommen."
    ]


# --- rows --------------------------------------------------------------------------------


def test_empty_rows_are_skipped_and_line_numbers_are_those_of_the_file():
    rows = [MANDATORY, JOERG, [""] * 6, [], ["", " ", "", "", "", ""], JOERG, [";;;"]]
    data = csv_bytes(rows[:-1]) + b";;;;;\r\n\r\n"
    sheet = read_upload("liste.csv", data)
    assert [row.line for row in sheet.rows] == [2, 6]


def test_rows_with_values_only_in_unknown_columns_are_skipped_with_a_notice():
    header = [*MANDATORY, "Bemerkung"]
    rows = [header, JOERG, ["", "", "", "", "", "", "nur eine Bemerkung"], JOERG]
    sheet = read_upload("liste.csv", csv_bytes(rows))
    assert [row.line for row in sheet.rows] == [2, 4]
    assert (
        "1 Zeile hat nur Werte in unbekannten Spalten und wird übersprungen (Zeile 3)."
        in sheet.notices
    )


def test_values_right_of_the_last_header_are_dropped_with_a_notice():
    sheet = read_upload("liste.csv", csv_bytes([MANDATORY, [*JOERG, "", "Rest"], JOERG]))
    assert sheet.rows[0].raw == JOERG
    assert sheet.notices == [
        "In 1 Zeile stehen Werte rechts der letzten Spalte mit Überschrift; sie werden nicht "
        "übernommen (Zeile 2)."
    ]


def test_an_unclosed_quote_is_refused_with_its_line():
    data = csv_bytes([MANDATORY, JOERG]) + b'Anna;"Schmidt;Allee;1;53113;Bonn\r\n'
    message = refused("liste.csv", data)
    assert "Zeile 3" in message and "Anführungszeichen" in message


def test_a_gigantic_cell_is_refused_not_read():
    data = csv_bytes([MANDATORY, JOERG]) + b'"' + b"x" * 200_000 + b'";B;C;1;53113;Bonn\r\n'
    assert "ein Feld mit mehr als" in refused("liste.csv", data)


# --- limits ------------------------------------------------------------------------------


def test_5000_data_rows_are_accepted_and_5001_refused():
    rows = [MANDATORY, *([JOERG] * MAX_ROWS)]
    assert len(read_upload("liste.csv", csv_bytes(rows)).rows) == 5000
    message = refused("liste.csv", csv_bytes([*rows, JOERG]))
    assert message == (
        "Die Datei enthält mehr als 5.000 Zeilen mit Daten. Bitte teilen Sie die Liste auf: "
        "höchstens 5.000 Arbeitsplätze je Datei."
    )


def test_empty_rows_do_not_count_toward_the_row_limit():
    rows = [MANDATORY, *([JOERG] * MAX_ROWS), *([[""] * 6] * 20)]
    assert len(read_upload("liste.csv", csv_bytes(rows)).rows) == MAX_ROWS


def test_5001_rows_in_xlsx_are_refused():
    data = xlsx_bytes([MANDATORY, *([JOERG] * (MAX_ROWS + 1))])
    assert "mehr als 5.000 Zeilen" in refused("liste.xlsx", data)


def test_a_file_over_5_mb_is_refused_before_it_is_read():
    data = csv_bytes([MANDATORY]) + b"x" * MAX_BYTES
    assert (
        refused("liste.csv", data)
        == "Die Datei ist größer als 5 MB. Bitte teilen Sie die Liste auf."
    )


def test_a_file_of_exactly_5_mb_is_read():
    rows = [[*MANDATORY, "Bemerkung"], *([[*JOERG, "x" * 32_000]] * 160)]
    data = csv_bytes(rows)
    data += b" " * (MAX_BYTES - len(data))
    assert len(data) == MAX_BYTES
    assert len(read_upload("liste.csv", data).rows) == 160


# --- files that are not lists ------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


NOT_A_LIST = (
    "Die Datei ist weder eine CSV-Datei noch eine Excel-Arbeitsmappe (.xlsx). Bitte laden Sie "
    "die Liste als .xlsx oder .csv hoch."
)
BROKEN = (
    "Die Excel-Datei ist beschädigt und kann nicht gelesen werden. Bitte speichern Sie sie in "
    "Excel erneut als „Excel-Arbeitsmappe (*.xlsx)“ und laden Sie sie noch einmal hoch."
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("liste.csv", b"", "Die Datei ist leer."),
        ("liste.csv", b"\xef\xbb\xbf \r\n\r\n", "Die Datei ist leer."),
        ("liste.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", NOT_A_LIST),
        ("bild.png", b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40, NOT_A_LIST),
        ("foto.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40, NOT_A_LIST),
        ("liste.csv", b"Vorname;Nachname\x00\x01\x02\x03binary", NOT_A_LIST),
        ("liste.csv.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20, NOT_A_LIST),
        ("programm.exe", b"MZ\x90\x00\x03" + b"\x00" * 60, NOT_A_LIST),
        ("liste.xlsx", b"Vorname;Nachname\r\n", BROKEN),
        ("liste.xlsx", b"PK\x03\x04" + b"\x00" * 100, BROKEN),
    ],
    ids=[
        "empty",
        "only BOM and blank lines",
        "pdf",
        "png",
        "jpeg",
        "NUL bytes",
        "gzip",
        "exe",
        "text named .xlsx",
        "broken zip",
    ],
)
def test_files_that_are_not_lists_get_one_clear_message(name, data, expected):
    assert refused(name, data) == expected


def test_a_zip_that_is_not_a_workbook_is_refused():
    for entries in (
        {"readme.txt": b"hallo"},
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
    ):
        message = refused("liste.zip", _zip(entries))
        assert message.startswith(
            "Die Datei ist ein ZIP-Archiv, aber keine Excel-Arbeitsmappe (.xlsx)."
        )
    assert refused("leer.zip", b"PK\x05\x06" + b"\x00" * 18).startswith(
        "Die Datei ist ein ZIP-Archiv"
    )


def test_an_old_xls_file_is_refused_with_a_way_out():
    message = refused("liste.xls", OLE)
    assert message.startswith("Die Datei ist eine ältere Excel-Datei (.xls).")


def test_a_password_protected_xlsx_is_refused_as_such():
    data = OLE + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
    assert refused("liste.xlsx", data) == (
        "Die Excel-Datei ist mit einem Kennwort geschützt. Bitte speichern Sie sie ohne Kennwort "
        "und laden Sie sie erneut hoch."
    )


def test_a_zip_with_encrypted_parts_is_refused_as_password_protected():
    data = bytearray(xlsx_bytes([MANDATORY, JOERG]))
    # Set the "encrypted" flag in every central directory record.
    position = data.find(b"PK\x01\x02")
    while position != -1:
        data[position + 8] |= 0x1
        position = data.find(b"PK\x01\x02", position + 4)
    assert "Kennwort" in refused("liste.xlsx", bytes(data))


def test_utf16_text_from_excel_is_refused_with_the_right_way_to_save():
    data = "\t".join(MANDATORY).encode("utf-16")
    assert refused("liste.txt", data).startswith(
        "Die Datei ist als „Unicode-Text“ (UTF-16) gespeichert."
    )


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused():
    # 0x81 and 0x8d are not defined in Windows-1252, and not valid UTF-8 on their own.
    data = csv_bytes([MANDATORY]) + b"J\x81rg;M\x8dller;A;1;53113;Bonn\r\n"
    assert refused("liste.csv", data).startswith(
        "Die Zeichen der CSV-Datei können nicht gelesen werden."
    )


def test_a_truncated_xlsx_is_refused():
    data = xlsx_bytes([MANDATORY, JOERG])
    assert refused("liste.xlsx", data[: len(data) // 2]) == BROKEN


def test_a_workbook_whose_sheet_xml_is_damaged_is_refused():
    data = rewrite_part(
        xlsx_bytes([MANDATORY, JOERG]), "xl/worksheets/sheet1.xml", lambda x: x[:-40]
    )
    assert refused("liste.xlsx", data) == BROKEN


def test_a_sheet_xml_with_a_dtd_is_refused_so_no_entity_can_expand():
    def add_dtd(xml: bytes) -> bytes:
        bomb = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        if xml.startswith(b"<?xml"):
            return xml.replace(b"?>", b"?>" + bomb, 1)
        return bomb + xml

    data = rewrite_part(xlsx_bytes([MANDATORY, JOERG]), "xl/worksheets/sheet1.xml", add_dtd)
    assert refused("liste.xlsx", data) == BROKEN


def test_a_workbook_that_unpacks_to_too_much_is_refused(monkeypatch):
    monkeypatch.setattr(budget, "MAX_UNPACKED_BYTES", 1024 * 1024)
    data = _zip(
        {"xl/workbook.xml": b"<workbook/>", "xl/media/image1.png": b"\x00" * 2 * 1024 * 1024}
    )
    assert len(data) < 100_000
    assert refused("liste.xlsx", data).startswith("Die Excel-Datei ist entpackt größer als 1 MB.")


def test_one_value_far_down_and_right_is_refused_before_the_grid_is_built():
    # calamine would hold A1:XFD1048576 as a dense grid: hundreds of gigabytes.
    workbook = Workbook()
    workbook.active.append(MANDATORY)
    workbook.active.cell(row=1_048_576, column=16_384, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert refused("liste.xlsx", buffer.getvalue()) == (
        "Das erste Tabellenblatt hat Inhalte bis Zelle XFD1048576. Bitte löschen Sie alles "
        "unterhalb und rechts der Liste (höchstens 5.000 Zeilen)."
    )


def test_cells_without_a_reference_are_counted_where_calamine_puts_them(monkeypatch):
    monkeypatch.setattr(budget, "MAX_SHEET_CELLS", 40)

    def drop_refs(xml: bytes) -> bytes:
        import re

        xml = re.sub(rb' r="[A-Z]+[0-9]+"', b"", xml)
        return xml.replace(b"</row>", b'<c t="inlineStr"><is><t>x</t></is></c>' * 20 + b"</row>", 1)

    data = rewrite_part(xlsx_bytes([MANDATORY, JOERG]), "xl/worksheets/sheet1.xml", drop_refs)
    assert "Das erste Tabellenblatt hat Inhalte bis Zelle" in refused("liste.xlsx", data)


def test_an_empty_formatted_cell_far_away_does_not_count():
    # Excel writes formatted empty cells; calamine leaves them out of its grid, and so do we.
    workbook = Workbook()
    workbook.active.append(MANDATORY)
    workbook.active.append(JOERG)
    workbook.active.cell(row=1_048_576, column=16_384).font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert values(read_upload("liste.xlsx", buffer.getvalue()), *ADDRESS) == [tuple(JOERG)]


def test_a_workbook_with_shared_strings_as_excel_writes_it_is_read():
    data = shared_strings_xlsx([MANDATORY, JOERG, JOERG])
    assert values(read_upload("liste.xlsx", data), *ADDRESS) == [tuple(JOERG)] * 2


def test_a_shared_string_count_that_would_exhaust_memory_is_refused():
    # calamine reserves uniqueCount strings before reading one: 4e9 would abort the process.
    data = shared_strings_xlsx([MANDATORY, JOERG], unique_count=4_000_000_000)
    assert refused("liste.xlsx", data) == BROKEN


def peak_of(read) -> tuple[str, int]:
    """The refusal of ``read()`` and the most memory Python held while it ran."""
    tracemalloc.start()
    try:
        with pytest.raises(Refusal) as caught:
            read()
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value.message, peak


def test_one_shared_string_of_a_mib_named_by_600_cells_is_refused_without_expanding_it():
    # Stored once, copied into every cell: about 600 MiB of text from a 5 KB file.
    data = repeated_string_xlsx("x" * 2**20, 600, header=MANDATORY, row=JOERG)
    assert len(data) < 10_000
    message, peak = peak_of(lambda: read_upload("liste.xlsx", data))
    assert message == (
        "Die Zelle G2 enthält mehr als 32.767 Zeichen; so viel fasst keine Excel-Zelle. Bitte "
        "prüfen Sie die Datei."
    )
    assert peak < 20 * 2**20


def test_text_that_cells_expand_to_beyond_the_budget_is_refused_before_a_cell_is_read():
    # Each cell as long as Excel allows; together 12 million characters.
    data = repeated_string_xlsx("x" * 30_000, 400, header=MANDATORY, row=JOERG)
    assert len(data) < 10_000
    message, peak = peak_of(lambda: read_upload("liste.xlsx", data))
    assert message == (
        "Die Excel-Datei enthält zu viel Text: Ihre Zellen ergeben zusammen mehr als "
        "10.000.000 Zeichen. Bitte entfernen Sie alles, was nicht zur Liste gehört, oder laden "
        "Sie die Liste als CSV hoch."
    )
    assert peak < 20 * 2**20


def test_text_within_the_budget_is_read_and_cells_right_of_the_header_are_not_kept():
    data = repeated_string_xlsx("x" * 30_000, 20, header=MANDATORY, row=JOERG)
    sheet = read_upload("liste.xlsx", data)
    assert [row.raw for row in sheet.rows] == [JOERG]
    assert "In 1 Zeile stehen Werte rechts der letzten Spalte" in sheet.notices[0]


def test_an_inline_string_longer_than_excel_allows_is_refused():
    data = rewrite_part(
        xlsx_bytes([MANDATORY, JOERG]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</row></sheetData>",
            b'<c r="C2" t="inlineStr"><is><t>' + b"y" * 32_768 + b"</t></is></c></row></sheetData>",
        ),
    )
    assert refused("liste.xlsx", data).startswith("Die Zelle C2 enthält mehr als 32.767 Zeichen")


def test_a_csv_cell_longer_than_excel_allows_is_refused():
    data = csv_bytes([[*MANDATORY, "Bemerkung"], [*JOERG, "z" * 32_768]])
    assert refused("liste.csv", data).startswith("Die Zelle G2 enthält mehr als 32.767 Zeichen")


def test_a_cell_of_exactly_32767_characters_is_read():
    data = csv_bytes([[*MANDATORY, "Bemerkung"], [*JOERG, "z" * 32_767]])
    assert len(read_upload("liste.csv", data).rows[0].raw[-1]) == 32_767


def _declare_smaller(xlsx: bytes, name: str, keep: int) -> bytes:
    """Claim in both zip headers that ``name`` unpacks to its first ``keep`` bytes only."""
    prefix = zipfile.ZipFile(io.BytesIO(xlsx)).read(name)[:keep]
    crc = zlib.crc32(prefix).to_bytes(4, "little")
    size = keep.to_bytes(4, "little")
    data = bytearray(xlsx)
    encoded = name.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30 : local + 30 + len(encoded)] == encoded:
            data[local + 14 : local + 18] = crc
            data[local + 22 : local + 26] = size
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46 : central + 46 + len(encoded)] == encoded:
            data[central + 16 : central + 20] = crc
            data[central + 24 : central + 28] = size
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_a_part_that_holds_more_than_its_zip_header_declares_is_refused():
    # Python's zipfile stops at the declared size (and the CRC of that prefix matches); the
    # Rust reader behind calamine would read on to the end of the stream.
    far = xlsx_bytes([MANDATORY, JOERG])
    far = rewrite_part(
        far,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        ),
    )
    sheet_xml = zipfile.ZipFile(io.BytesIO(far)).read("xl/worksheets/sheet1.xml")
    keep = sheet_xml.index(b"</sheetData>")
    lying = _declare_smaller(far, "xl/worksheets/sheet1.xml", keep)
    assert zipfile.ZipFile(io.BytesIO(lying)).read("xl/worksheets/sheet1.xml") == sheet_xml[:keep]
    assert refused("liste.xlsx", lying) == BROKEN


def test_a_workbook_with_two_parts_of_one_name_is_refused():
    data = xlsx_bytes([MANDATORY, JOERG])
    buffer = io.BytesIO(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    assert refused("liste.xlsx", buffer.getvalue()) == BROKEN


def test_a_sheet_part_no_sheet_of_the_workbook_names_is_checked_too():
    data = xlsx_bytes([MANDATORY, JOERG])
    far = b'<worksheet><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/./worksheets/sheet1.xml", far)
    assert "bis Zelle XFD1048576" in refused("liste.xlsx", buffer.getvalue())


@pytest.mark.parametrize("ref", ["A99999999", "xfd2000000", "ZZZZZZ1"])
def test_cell_positions_beyond_excels_sheet_are_counted_not_cut(ref):
    data = rewrite_part(
        xlsx_bytes([MANDATORY, JOERG]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'r="B2"', f'r="{ref}"'.encode()),
    )
    assert refused("liste.xlsx", data).startswith("Das erste Tabellenblatt hat Inhalte bis Zelle")


def test_a_cell_position_that_cannot_be_read_is_refused():
    data = rewrite_part(
        xlsx_bytes([MANDATORY, JOERG]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'r="B2"', b'r="$B$2"'),
    )
    assert refused("liste.xlsx", data) == BROKEN


# --- XLSX values -------------------------------------------------------------------------


def test_xlsx_numbers_come_back_as_text_without_dot_zero_and_with_their_leading_zero():
    header = [*MANDATORY, "Mobilfunknummer", "Rufnummer"]
    rows = [
        header,
        ["Anna", "Schmidt", "Prager Str.", 2, 1067, "Dresden", 1701234567, 22818123413],
        ["Ben", "Weber", "Allee", 12.0, 53113.0, "Bonn", 491701234567, 13.0],
        ["Cem", "Yilmaz", "Weg", 12.5, "01067", "Dresden", "0170 1234567", "0228 181234-13"],
    ]
    sheet = read_upload("liste.xlsx", xlsx_bytes(rows))
    assert sheet.kind == "xlsx"
    assert values(sheet, "house_number", "postcode", "mobile", "number") == [
        ("2", "01067", "01701234567", "22818123413"),
        ("12", "53113", "+491701234567", "13"),
        ("12,5", "01067", "0170 1234567", "0228 181234-13"),
    ]


def test_xlsx_dates_times_and_booleans_come_back_the_german_way():
    header = [*MANDATORY, "Bemerkung"]
    row = [
        "Anna",
        dt.date(2026, 5, 1),
        dt.datetime(2026, 5, 1, 13, 5),
        dt.datetime(2026, 5, 1),
        True,
        False,
    ]
    sheet = read_upload("liste.xlsx", xlsx_bytes([header, row]))
    assert values(sheet, "last_name", "street", "house_number", "postcode", "city") == [
        ("01.05.2026", "01.05.2026 13:05", "01.05.2026", "WAHR", "FALSCH")
    ]


def test_only_the_first_sheet_is_read_and_a_list_may_start_anywhere():
    data = xlsx_bytes([MANDATORY, JOERG, [], JOERG], [["Vorname"], ["Zweites Blatt"]], at="C3")
    sheet = read_upload("liste.xlsx", data)
    assert sheet.header_line == 3 and [r.line for r in sheet.rows] == [4, 6]
    assert values(sheet, *ADDRESS) == [tuple(JOERG)] * 2
    assert sheet.rows[0].raw == ["", "", *JOERG]


def test_a_formula_without_a_stored_result_is_empty_never_the_formula():
    # openpyxl and other programs write formulas without a result; Excel computes on opening.
    data = xlsx_bytes([[*MANDATORY, "Bemerkung"], [*JOERG, "=1+1"]])
    sheet = read_upload("liste.xlsx", data)
    assert sheet.rows[0].raw == JOERG
    assert (
        "1 Zelle enthält eine Formel. Übernommen wird der Wert, den Excel zuletzt berechnet und "
        "gespeichert hat; Formeln werden nicht ausgeführt."
    ) in sheet.notices


def test_a_formula_saved_by_excel_gives_its_stored_result_and_is_never_run():
    data = xlsx_bytes([MANDATORY, ["placeholder", "x", "Allee", "1", "53113", "x"]])
    data = cached_formula(data, "A2", 'HYPERLINK("http://evil.example/","Jörg")', "Jörg")
    data = cached_formula(data, "B2", "1+1", "2", kind="")
    data = cached_formula(data, "F2", 'CONCAT("Bo","nn")', "Bonn")
    sheet = read_upload("liste.xlsx", data)
    assert values(sheet, "first_name", "last_name", "city") == [("Jörg", "2", "Bonn")]
    assert "3 Zellen enthalten Formeln." in sheet.notices[0]


def test_a_text_cell_that_looks_like_a_formula_stays_text():
    workbook = Workbook()
    workbook.active.append(MANDATORY)
    workbook.active.append(JOERG)
    cell = workbook.active["A2"]
    cell.value = "=1+1"
    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = read_upload("liste.xlsx", buffer.getvalue())
    assert sheet.rows[0].values["first_name"] == "=1+1" and sheet.notices == []


def test_an_empty_workbook_has_no_header():
    data = xlsx_bytes([])
    assert refused("liste.xlsx", data).startswith("In der Datei steht keine Kopfzeile")


def test_a_far_cell_matters_only_on_the_first_sheet():
    workbook = Workbook()
    workbook.active.append(MANDATORY)
    workbook.active.append(JOERG)
    workbook.create_sheet("Notizen").cell(row=1_048_576, column=16_384, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    # openpyxl names the sheet parts absolutely, Excel relatively to xl/: both are found.
    relative = rewrite_part(
        data,
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace(b'"/xl/worksheets/', b'"worksheets/'),
    )
    assert b'Target="worksheets/sheet1.xml"' in zipfile.ZipFile(io.BytesIO(relative)).read(
        "xl/_rels/workbook.xml.rels"
    )
    for variant in (data, relative):
        assert values(read_upload("liste.xlsx", variant), *ADDRESS) == [tuple(JOERG)]


def test_one_value_far_down_and_one_far_right_make_a_grid_too_large():
    workbook = Workbook()
    workbook.active.append(MANDATORY)
    workbook.active.cell(row=1, column=16_384, value="x")
    workbook.active.cell(row=1_000_000, column=1, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "Das erste Tabellenblatt hat Inhalte bis Zelle A1000000." in refused(
        "l.xlsx", buffer.getvalue()
    )


# --- fuzz --------------------------------------------------------------------------------

fuzz = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = st.sampled_from([*HEADER, "Fehler", "Jörg", "01067", "=1+1", "'+49", "sep=;", "", " "])
CSV_ISH = st.lists(
    st.one_of(
        WORDS, st.text(max_size=8), st.sampled_from([";", ",", "\t", '"', "\n", "\r", "\x00"])
    ),
    max_size=60,
).map("".join)


def _either_sheet_or_refusal(name: str, data: bytes) -> None:
    try:
        result = read_upload(name, data)
    except Refusal as error:
        assert error.message and isinstance(error.message, str)
    else:
        assert isinstance(result, Sheet)
        assert all(isinstance(v, str) for row in result.rows for v in row.values.values())


@fuzz
@given(st.binary(max_size=2000), st.sampled_from(["liste.csv", "liste.xlsx", "x"]))
def test_random_bytes_give_a_sheet_or_a_clear_refusal(data, name):
    _either_sheet_or_refusal(name, data)


@fuzz
@given(CSV_ISH, st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
def test_random_csvish_text_gives_a_sheet_or_a_clear_refusal(text, encoding):
    _either_sheet_or_refusal("liste.csv", text.encode(encoding, errors="replace"))


_VALID_XLSX = xlsx_bytes([[*MANDATORY, "Rufnummer"], [*JOERG, 13], [*JOERG, "=1+1"]])


@fuzz
@given(st.lists(st.tuples(st.integers(0, len(_VALID_XLSX) - 1), st.integers(0, 255)), max_size=8))
def test_damaged_xlsx_gives_a_sheet_or_a_clear_refusal(changes):
    data = bytearray(_VALID_XLSX)
    for position, byte in changes:
        data[position] = byte
    _either_sheet_or_refusal("liste.xlsx", bytes(data))


@fuzz
@given(
    st.lists(
        st.lists(
            st.one_of(st.text(max_size=6), st.integers(), st.floats(), st.booleans(), st.dates()),
            max_size=8,
        ),
        max_size=6,
    )
)
def test_random_xlsx_cells_give_a_sheet_or_a_clear_refusal(rows):
    clean = [[v.replace("\x00", "") if isinstance(v, str) else v for v in row] for row in rows]
    try:
        data = xlsx_bytes([MANDATORY, *clean])
    except (ValueError, TypeError, IllegalCharacterError):  # openpyxl refuses some itself
        return
    _either_sheet_or_refusal("liste.xlsx", data)


# --- the cheap checks of a web request ------------------------------------------------------


def test_the_cheap_checks_refuse_by_size_type_and_archive_without_reading_rows():
    def check(name: str, data: bytes) -> str:
        with pytest.raises(Refusal) as caught:
            files.check_upload(name, data)
        return caught.value.message

    expanding = repeated_string_xlsx("x" * 30_000, 400, header=MANDATORY, row=JOERG)
    assert check("liste.xlsx", expanding).startswith("Die Excel-Datei enthält zu viel Text")
    assert check("bild.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20).startswith("Die Datei ist weder")
    assert check("gross.csv", b"x" * (MAX_BYTES + 1)).startswith("Die Datei ist größer")
    # Rows are the task's: a file without a known header passes the cheap checks.
    files.check_upload("liste.csv", csv_bytes([["Name"], ["A"]]))
    files.check_upload("liste.xlsx", xlsx_bytes([["Name"], ["A"]]))
