"""Read an uploaded list (XLSX or CSV) into rows of text, or refuse it with one German message.

What comes back:

- Every cell is text, stripped of surrounding spaces, a BOM and zero-width spaces, and
  NFC-normalised. A quote that :func:`portal.spreadsheet.excel_safe` put in front of a formula
  start (``'+49 228 ...``) is removed, so an error list can be uploaded again.
- CSV cells are taken as written: leading zeros (``01067``, ``0228 ...``) stay.
- XLSX cells: whole numbers without ``.0`` (``53113.0`` -> ``53113``), other numbers with a
  decimal comma, dates as ``01.05.2026`` (with ``13:05`` when there is a time), ``WAHR`` and
  ``FALSCH``. Excel drops leading zeros of numbers, so a number in the PLZ column with four
  digits gets its zero back (``1067`` -> ``01067``; every German PLZ has five digits, the
  smallest is 01001), and a number in the Mobilfunknummer column gets its ``0`` or ``+``
  back (``1701234567`` -> ``01701234567``, ``491701234567`` -> ``+491701234567``). A
  number in the Rufnummer column stays as it is; ``numbers.parse_rufnummer`` knows the trunk
  and sorts it out.
- Formulas are never evaluated: python-calamine returns the value Excel computed and stored
  when the file was last saved, never the formula. A file whose formulas were never computed
  (written by a program, not saved by Excel) gives empty cells there. A notice says how many
  formula cells there were.
- ``Row.line`` is the row number Excel shows (and an editor, for CSV without line breaks in
  cells). The header is the first row that names a known column; rows above it are dropped
  with a notice. Empty rows, and rows with values only in unknown columns (with a notice), are
  skipped but keep their line numbers. Cells right of the last header are dropped (with a
  notice); no cell may hold more than Excel's 32,767 characters.
- An XLSX is checked before calamine reads a cell: its unpacked size, its grid, and the text
  its cells expand to (``MAX_TEXT_CHARS``; a shared string counts once for every cell that
  names it).

CSV: UTF-8 with or without BOM, else Windows-1252 (strict UTF-8 is tried first: a
Windows-1252 file with umlauts is almost never valid UTF-8). The delimiter (``;``, ``,`` or a
tab) is the one that splits the header into the most known columns; Excel's ``sep=;`` first
line is honoured and, as in Excel, not counted as a row.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import logging
import re
import unicodedata
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from posixpath import join, normpath
from typing import Any
from xml.parsers import expat

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.errors import Refusal
from portal.spreadsheet import excel_unquote
from workplaces.listimport.columns import COLUMNS, FIELDS, Column, HeaderMatch, match_header

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
#: The header is looked for in this many non-empty rows (a title row above it is common).
HEADER_SEARCH_ROWS = 10
#: An XLSX is a zip: its parts may not unpack to more than this (zip bombs).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
#: python-calamine holds the first sheet as a dense grid (about 32 bytes a cell) from A1 to
#: the last cell with a value, so one value in XFD1048576 would need hundreds of gigabytes.
MAX_SHEET_CELLS = 2_000_000
#: The text the first sheet's cells expand to, summed before calamine reads one cell: a
#: shared string is stored once but copied into every cell that names it, so a file of a few
#: KB could otherwise make gigabytes of text. A full list of 5,000 rows needs about 1 million.
MAX_TEXT_CHARS = 10_000_000
#: Excel's own limit for one cell.
MAX_CELL_CHARS = 32_767

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"II*\x00",
    b"MM\x00*",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"MZ",
    b"%!PS",
    b"RIFF",
    b"OggS",
    b"\x00\x00\x01\x00",
)
_UTF8_BOM = b"\xef\xbb\xbf"
_STRIP = " \t\r\n\v\f\u00a0\ufeff\u200b"
_DELIMITERS = (";", ",", "\t")
_SEP_LINE = re.compile(r'"?sep=(.)"?', re.IGNORECASE)
#: Unbounded on purpose: ``A99999999`` is no Excel cell, but a reader may still place it there.
_CELL_REF = re.compile(r"([A-Za-z]+)([0-9]+)")


def _refusal(code: str, message: str, **params) -> Refusal:
    """The file cannot be imported; the message says why in one German sentence or two."""
    return Refusal(code, message, field="file", params=params)


@dataclass
class Row:
    line: int
    values: dict[str, str]
    raw: list[str]


@dataclass
class Sheet:
    kind: str
    header: list[str]
    header_line: int
    match: HeaderMatch
    rows: list[Row] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[Column]:
        """The known columns found in the header, in the file's order."""
        return self.match.columns


def check_upload(name: str, data: bytes) -> None:
    """The cheap checks of an upload, or :class:`~portal.errors.Refusal`: what a web request does.

    Size, type, and for an XLSX the archive (unpacked size, grid, expanded text), all without
    reading a cell; reading the rows (:func:`read_upload`) is the check task's work.
    """
    if _kind_of(name, data) == "xlsx":
        _check_archive(data)
    else:
        _decode(data)


def read_upload(name: str, data: bytes) -> Sheet:
    """Read an uploaded list, or raise :class:`~portal.errors.Refusal`; never anything else.

    ``name`` is the uploaded file name; the content decides what the file is, the name only
    sharpens the message for a broken ``.xlsx``.
    """
    if _kind_of(name, data) == "xlsx":
        kind, rows, to_text, notices = "xlsx", *_xlsx_rows(data)
    else:
        kind, rows, to_text, notices = "csv", _csv_rows(_decode(data)), _csv_text, []
    sheet = _build_sheet(kind, rows, to_text)
    sheet.notices.extend(notices)
    return sheet


def _kind_of(name: str, data: bytes) -> str:
    """``xlsx`` or ``csv`` by the content, or the refusal of an empty, large or other file."""
    if not data.strip(_STRIP.encode("ascii", "ignore")).removeprefix(_UTF8_BOM).strip():
        raise _refusal("file_empty", _("Die Datei ist leer."))
    if len(data) > MAX_BYTES:
        raise _refusal("too_large", too_large_message())
    if data.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        raise _refusal("file_encrypted", _ole_message(data))
    if data.startswith(_BINARY_MAGIC):
        raise _refusal("file_not_a_list", _not_a_list())
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise _refusal("file_broken", _broken_xlsx())
    return "csv"


# --- messages used more than once ------------------------------------------------------------


def too_large_message() -> str:
    """Also for the upload form, which refuses a large file before reading it."""
    return _("Die Datei ist größer als %(mb)d MB. Bitte teilen Sie die Liste auf.") % {
        "mb": MAX_BYTES // (1024 * 1024)
    }


def _not_a_list() -> str:
    return _(
        "Die Datei ist weder eine CSV-Datei noch eine Excel-Arbeitsmappe (.xlsx). Bitte laden "
        "Sie die Liste als .xlsx oder .csv hoch."
    )


def _broken_xlsx() -> str:
    return _(
        "Die Excel-Datei ist beschädigt und kann nicht gelesen werden. Bitte speichern Sie sie "
        "in Excel erneut als „Excel-Arbeitsmappe (*.xlsx)“ und laden Sie sie noch einmal hoch."
    )


def _password() -> str:
    return _(
        "Die Excel-Datei ist mit einem Kennwort geschützt. Bitte speichern Sie sie ohne "
        "Kennwort und laden Sie sie erneut hoch."
    )


def _ole_message(data: bytes) -> str:
    # A password-protected XLSX is not a zip but an OLE container with an EncryptionInfo part.
    if "EncryptionInfo".encode("utf-16-le") in data:
        return _password()
    return _(
        "Die Datei ist eine ältere Excel-Datei (.xls). Bitte speichern Sie sie in Excel als "
        "„Excel-Arbeitsmappe (*.xlsx)“ oder als „CSV UTF-8“ und laden Sie sie erneut hoch."
    )


# --- building the sheet -----------------------------------------------------------------------


def _clean(text: str) -> str:
    text = text.strip(_STRIP)
    unquoted = excel_unquote(text)
    if unquoted is not text:
        text = unquoted.strip(_STRIP)
    return unicodedata.normalize("NFC", text)


def _build_sheet(
    kind: str,
    rows: Iterable[tuple[int, list[Any]]],
    to_text: Callable[[Any, str | None], str],
) -> Sheet:
    rows = iter(rows)
    header_line, header, match, skipped_above = _find_header(rows, to_text)
    if match.duplicates:
        header_text, positions = next(iter(match.duplicates.items()))
        raise _refusal(
            "file_columns",
            _(
                "Die Spalte „%(header)s“ kommt mehrfach vor (Spalten %(letters)s). Bitte lassen "
                "Sie nur eine stehen."
            )
            % {"header": header_text, "letters": ", ".join(_letter(p) for p in positions)},
        )
    missing = match.missing_mandatory
    if missing:
        raise _refusal(
            "file_columns",
            ngettext(
                "In der Kopfzeile fehlt die Pflichtspalte %(columns)s.",
                "In der Kopfzeile fehlen die Pflichtspalten %(columns)s.",
                len(missing),
            )
            % {"columns": ", ".join(f"„{c.header}“" for c in missing)},
        )
    sheet = Sheet(kind=kind, header=header, header_line=header_line, match=match)
    field_at = {position: f for f, position in match.positions.items()}
    width = len(header)
    only_unknown: list[int] = []
    beyond_header: list[int] = []
    for line, cells in rows:
        # Cells right of the last header are not taken, so they are not kept either.
        beyond = any(_clean(to_text(value, None)) for value in cells[width:])
        raw = [_clean(to_text(value, field_at.get(i))) for i, value in enumerate(cells[:width])]
        while raw and not raw[-1]:
            raw.pop()
        if not raw and not beyond:
            continue
        values = dict.fromkeys(FIELDS, "")
        for field_name, position in match.positions.items():
            if position < len(raw):
                values[field_name] = raw[position]
        if not any(values.values()):
            only_unknown.append(line)
            continue
        if beyond:
            beyond_header.append(line)
        for position, cell in enumerate(raw):
            if len(cell) > MAX_CELL_CHARS:
                raise _refusal(
                    "file_cell_too_long", _cell_too_long_message(f"{_letter(position)}{line}")
                )
        if len(sheet.rows) == MAX_ROWS:
            raise _refusal(
                "file_too_many_rows",
                _(
                    "Die Datei enthält mehr als %(max)s Zeilen mit Daten. Bitte teilen Sie die "
                    "Liste auf: höchstens %(max)s Arbeitsplätze je Datei."
                )
                % {"max": number_format(MAX_ROWS, force_grouping=True)},
            )
        sheet.rows.append(Row(line=line, values=values, raw=raw))
    sheet.notices.extend(_notices(match, skipped_above, header_line, only_unknown, beyond_header))
    return sheet


def _find_header(
    rows: Iterator[tuple[int, list[Any]]], to_text: Callable[[Any, str | None], str]
) -> tuple[int, list[str], HeaderMatch, int]:
    """The first row naming a known column, among the first non-empty rows."""
    skipped = 0
    for line, cells in rows:
        header = [_clean(to_text(value, None)) for value in cells]
        while header and not header[-1]:
            header.pop()
        if not header:
            continue
        match = match_header(header)
        if match.positions:
            return line, header, match, skipped
        skipped += 1
        if skipped == HEADER_SEARCH_ROWS:
            break
    raise _refusal(
        "file_columns",
        _(
            "In der Datei steht keine Kopfzeile mit bekannten Spaltenüberschriften. Erwartet "
            "werden: %(headers)s. Am einfachsten laden Sie die Vorlage herunter und übernehmen "
            "Ihre Daten dort."
        )
        % {"headers": ", ".join(c.header for c in COLUMNS)},
    )


def _notices(
    match: HeaderMatch,
    skipped_above: int,
    header_line: int,
    only_unknown: list[int],
    beyond_header: list[int],
) -> list[str]:
    notices = []
    if skipped_above:
        notices.append(
            _("Die Kopfzeile steht in Zeile %(line)d; die Zeilen darüber werden nicht übernommen.")
            % {"line": header_line}
        )
    if match.unknown:
        notices.append(
            ngettext(
                "Diese Spalte ist unbekannt und wird nicht übernommen: %(columns)s.",
                "Diese Spalten sind unbekannt und werden nicht übernommen: %(columns)s.",
                len(match.unknown),
            )
            % {"columns": ", ".join(f"„{h}“" for h in match.unknown)}
        )
    if only_unknown:
        notices.append(
            ngettext(
                "%(count)d Zeile hat nur Werte in unbekannten Spalten und wird übersprungen "
                "(Zeile %(line)d).",
                "%(count)d Zeilen haben nur Werte in unbekannten Spalten und werden "
                "übersprungen (zuerst Zeile %(line)d).",
                len(only_unknown),
            )
            % {"count": len(only_unknown), "line": only_unknown[0]}
        )
    if beyond_header:
        notices.append(
            ngettext(
                "In %(count)d Zeile stehen Werte rechts der letzten Spalte mit Überschrift; sie "
                "werden nicht übernommen (Zeile %(line)d).",
                "In %(count)d Zeilen stehen Werte rechts der letzten Spalte mit Überschrift; "
                "sie werden nicht übernommen (zuerst Zeile %(line)d).",
                len(beyond_header),
            )
            % {"count": len(beyond_header), "line": beyond_header[0]}
        )
    return notices


def _letter(position: int) -> str:
    """0 -> A, 26 -> AA: how Excel names a column."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- CSV --------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise _refusal(
                "file_encoding",
                _(
                    "Die Datei ist als „Unicode-Text“ (UTF-16) gespeichert. Bitte speichern Sie "
                    "sie als „CSV UTF-8 (durch Trennzeichen getrennt)“ und laden Sie sie erneut "
                    "hoch."
                ),
            )
        raise _refusal("file_not_a_list", _not_a_list())
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Some tools put a UTF-8 BOM in front of Windows-1252 text.
        return data.removeprefix(_UTF8_BOM).decode("cp1252")
    except UnicodeDecodeError:
        raise _refusal(
            "file_encoding",
            _(
                "Die Zeichen der CSV-Datei können nicht gelesen werden. Bitte speichern Sie sie "
                "als „CSV UTF-8 (durch Trennzeichen getrennt)“ und laden Sie sie erneut hoch."
            ),
        ) from None


def _csv_text(value: Any, field_name: str | None) -> str:
    return value


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    first, _newline, rest = text.partition("\n")
    sep = _SEP_LINE.fullmatch(first.strip())
    if sep:
        text, delimiter = rest, sep.group(1)
    else:
        delimiter = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            yield line, cells
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            message = _(
                "Die CSV-Datei enthält in Zeile %(line)d ein Feld mit mehr als %(max)s "
                "Zeichen; meist fehlt ein schließendes Anführungszeichen weiter oben."
            ) % {
                "line": reader.line_num,
                "max": number_format(csv.field_size_limit(), force_grouping=True),
            }
        else:
            message = _(
                "Die CSV-Datei ist in Zeile %(line)d fehlerhaft: ein Anführungszeichen ist "
                "nicht richtig geschlossen. Bitte prüfen Sie die Zeile oder speichern Sie die "
                "Datei erneut aus Excel."
            ) % {"line": reader.line_num or line + 1}
        raise _refusal("file_not_a_list", message) from None


def _detect_delimiter(text: str) -> str:
    """The delimiter under which a header row names the most known columns (ties: more cells)."""
    head = text[:65536]
    best, best_score = _DELIMITERS[0], (-1, -1)
    for delimiter in _DELIMITERS:
        score = (0, 0)
        reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
        try:
            non_empty = 0
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                score = max(score, (len(match_header(cells).positions), len(cells)))
                non_empty += 1
                if non_empty == HEADER_SEARCH_ROWS:
                    break
        except csv.Error:
            pass
        if score > best_score:
            best, best_score = delimiter, score
    # Without any known header the file is refused for that; ";" gives the clearest message.
    return best if best_score[0] else _DELIMITERS[0]


# --- XLSX -------------------------------------------------------------------------------------


def _xlsx_rows(
    data: bytes,
) -> tuple[Iterator[tuple[int, list[Any]]], Callable[[Any, str | None], str], list[str]]:
    formulas = _check_archive(data)
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise _refusal("file_broken", _broken_xlsx())
        sheet = workbook.get_sheet_by_index(0)
        start = sheet.start
        grid = sheet.to_python() if start is not None else []
    except Refusal:
        raise
    except Exception as exc:
        raise _unreadable(exc) from None
    except BaseException as exc:
        # A panic in the Rust code arrives as pyo3's PanicException, a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        raise _unreadable(exc) from None
    notices = []
    if formulas:
        notices.append(
            ngettext(
                "%(count)d Zelle enthält eine Formel. Übernommen wird der Wert, den Excel "
                "zuletzt berechnet und gespeichert hat; Formeln werden nicht ausgeführt.",
                "%(count)d Zellen enthalten Formeln. Übernommen wird der Wert, den Excel "
                "zuletzt berechnet und gespeichert hat; Formeln werden nicht ausgeführt.",
                formulas,
            )
            % {"count": formulas}
        )
    first_row, first_col = start if start is not None else (0, 0)
    pad = [""] * first_col
    rows = ((first_row + i + 1, pad + row) for i, row in enumerate(grid))
    return rows, _xlsx_text, notices


def _unreadable(exc: BaseException) -> Refusal:
    # The type only: a message may quote cell contents, which are personal data.
    logger.info("Unreadable XLSX upload: %s", type(exc).__name__)
    if type(exc).__name__ == "PasswordError":
        return _refusal("file_encrypted", _password())
    return _refusal("file_broken", _broken_xlsx())


def _check_archive(data: bytes) -> int:
    """Refuse zips that are not workbooks or too big unpacked; count the first sheet's formulas.

    Everything calamine will read is checked here first, on the bytes it will read: the
    parts' real unpacked sizes (a zip may declare less than it holds), the shared-string
    count calamine reserves memory for, and the grid and the expanded text of every sheet it
    might load.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:  # any damage to an uploaded zip means the same to the user
        raise _refusal("file_broken", _broken_xlsx()) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise _refusal(
            "file_not_a_list",
            _(
                "Die Datei ist ein ZIP-Archiv, aber keine Excel-Arbeitsmappe (.xlsx). Bitte "
                "speichern Sie die Liste als .xlsx oder .csv und laden Sie sie erneut hoch."
            ),
        )
    if len(names) != len(infos):  # two parts of one name: which one would calamine take?
        raise _refusal("file_broken", _broken_xlsx())
    if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise _unpacked_too_large()
    if any(info.flag_bits & 0x1 for info in infos):
        raise _refusal("file_encrypted", _password())
    parts = _read_parts(archive, infos)
    for part in parts.values():
        _check_shared_strings(part)
    first, others = _sheet_parts(parts)
    try:
        shared = _shared_lengths(parts)
        formulas = _scan_sheet(parts[first], shared) if first else 0
        # Sheet-like parts that no other sheet of the workbook names are checked too: calamine
        # might resolve a reference differently than this code does.
        for name, part in parts.items():
            if name != first and name not in others and b"sheetData" in part:
                _scan_sheet(part, shared)
    except Refusal:
        raise
    except Exception:  # ExpatError and whatever else a damaged sheet causes
        raise _refusal("file_broken", _broken_xlsx()) from None
    return formulas


def _unpacked_too_large() -> Refusal:
    return _refusal(
        "too_large",
        _(
            "Die Excel-Datei ist entpackt größer als %(mb)d MB. Bitte entfernen Sie Bilder "
            "und weitere Tabellenblätter oder laden Sie die Liste als CSV hoch."
        )
        % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)},
    )


def _read_parts(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Every part, unpacked to its real end: Python stops at the declared size, calamine not."""
    budget = MAX_UNPACKED_BYTES
    parts = {}
    try:
        for info in infos:
            probe = copy.copy(info)
            probe.file_size = budget + 1
            with archive.open(probe) as stream:
                part = stream.read(budget + 1)
            if len(part) > budget:
                raise _unpacked_too_large()
            if len(part) != info.file_size:
                raise _refusal("file_broken", _broken_xlsx())
            budget -= len(part)
            parts[info.filename] = part
    except Refusal:
        raise
    except Exception:  # zlib.error, NotImplementedError (compression), bad CRC ...
        raise _refusal("file_broken", _broken_xlsx()) from None
    return parts


_SST = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*>")
_UNIQUE_COUNT = re.compile(rb"\buniqueCount\s*=\s*[\"']\s*([0-9]+)")


def _check_shared_strings(data: bytes) -> None:
    """calamine reserves memory for ``uniqueCount`` strings up front: 4e9 aborts the process."""
    sst = _SST.search(data)
    count = _UNIQUE_COUNT.search(sst.group()) if sst else None
    if count and int(count.group(1)) > MAX_SHEET_CELLS:
        raise _refusal("file_broken", _broken_xlsx())


def _sheet_parts(parts: dict[str, bytes]) -> tuple[str | None, set[str]]:
    """The part of the first sheet, and those of the other sheets, as the workbook names them."""
    try:
        sheets = _elements(parts["xl/workbook.xml"], "sheet")
        rels = _elements(parts.get("xl/_rels/workbook.xml.rels", b"<x/>"), "Relationship")
    except Exception:  # every sheet-like part is then checked
        return None, set()
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    paths = []
    for sheet in sheets:
        rel_id = next((v for k, v in sheet.items() if k.endswith(":id")), None)
        target = targets.get(rel_id, "")
        path = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        paths.append(path if target and path in parts else None)
    if not paths or paths[0] is None:
        return None, set()
    return paths[0], {p for p in paths[1:] if p}


def _elements(xml: bytes, local_name: str) -> list[dict[str, str]]:
    """The attributes of every ``local_name`` element of a small XML part (no DTD allowed)."""
    if len(xml) > 4 * 1024 * 1024:
        raise ValueError(local_name)
    found: list[dict[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == local_name:
            found.append(attrs)

    parser = _parser()
    parser.StartElementHandler = start
    parser.Parse(xml, True)
    return found


def _parser() -> expat.XMLParserType:
    """An expat parser that refuses any DTD, so no entity can expand (valid XLSX has none)."""

    def no_doctype(*args: object) -> None:
        raise expat.ExpatError("DOCTYPE")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    return parser


class _TooFar(Exception):
    pass


class _TooMuchText(Exception):
    pass


class _CellTooLong(Exception):
    pass


def _text_budget_message() -> str:
    return _(
        "Die Excel-Datei enthält zu viel Text: Ihre Zellen ergeben zusammen mehr als %(max)s "
        "Zeichen. Bitte entfernen Sie alles, was nicht zur Liste gehört, oder laden Sie die "
        "Liste als CSV hoch."
    ) % {"max": number_format(MAX_TEXT_CHARS, force_grouping=True)}


def _cell_too_long_message(cell: str) -> str:
    return _(
        "Die Zelle %(cell)s enthält mehr als %(max)s Zeichen; so viel fasst keine Excel-Zelle. "
        "Bitte prüfen Sie die Datei."
    ) % {"cell": cell, "max": number_format(MAX_CELL_CHARS, force_grouping=True)}


def _shared_lengths(parts: dict[str, bytes]) -> array[int]:
    """The length of every shared string (by index), without building one of them.

    calamine reads ``xl/sharedStrings.xml`` (a name it matches loosely); should a zip hold
    more than one such part, each index counts with its longest string.
    """
    lengths: array[int] = array("q")
    for name, part in parts.items():
        if name.replace("\\", "/").lower() != "xl/sharedstrings.xml":
            continue
        found = _string_lengths(part)
        for index, length in enumerate(found):
            if index < len(lengths):
                lengths[index] = max(lengths[index], length)
            else:
                lengths.append(length)
    return lengths


def _string_lengths(xml: bytes) -> array[int]:
    lengths: array[int] = array("q")
    state = {"si": False, "t": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            state["si"] = True
            lengths.append(0)
        elif local == "t" and state["si"]:
            state["t"] += 1

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            state["si"] = False
        elif local == "t" and state["t"]:
            state["t"] -= 1

    def text(data: str) -> None:
        if state["t"]:
            lengths[-1] += len(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.Parse(xml, True)
    return lengths


def _scan_sheet(xml: bytes, shared: array[int]) -> int:
    """Refuse a sheet whose grid or text calamine could not hold; count its formulas.

    The XML is walked as calamine reads it: positions as calamine assigns them (only cells
    with a value make the grid), and the text every cell expands to (a shared string's length
    for each cell that names it, inline strings and values as written), summed against
    ``MAX_TEXT_CHARS`` and each cell against ``MAX_CELL_CHARS``. Only lengths are kept.
    """
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise _refusal("file_broken", _broken_xlsx())
    state = {"row": -1, "col": -1, "value": False, "formulas": 0, "rows": 0, "cols": 0}
    cell = {"type": "", "in_v": False, "in_t": 0, "length": 0, "index": "", "text": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            number = attrs.get("r", "")
            state["row"] = int(number) - 1 if number.isdigit() else state["row"] + 1
            state["col"] = -1
        elif local == "c":
            position = attrs.get("r")
            ref = _CELL_REF.fullmatch(position or "")
            if ref:
                state["row"] = int(ref.group(2)) - 1
                state["col"] = _column_index(ref.group(1))
            elif position is None:
                state["col"] += 1
            else:  # a position this code cannot read: do not guess what calamine makes of it
                raise ValueError(position)
            state["value"] = False
            cell.update(type=attrs.get("t", ""), in_v=False, in_t=0, length=0, index="")
        elif local in ("v", "is"):
            state["value"] = True
            cell["in_v"] = local == "v"
        elif local == "t":
            cell["in_t"] += 1
        elif local == "f":
            state["formulas"] += 1

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "v":
            cell["in_v"] = False
        elif local == "t" and cell["in_t"]:
            cell["in_t"] -= 1
        elif local == "c" and state["value"]:
            row, col = max(state["row"], 0), max(state["col"], 0)
            state["rows"] = max(state["rows"], row + 1)
            state["cols"] = max(state["cols"], col + 1)
            if state["rows"] * state["cols"] > MAX_SHEET_CELLS:
                raise _TooFar(f"{_letter(col)}{row + 1}")
            length = cell["length"]
            if cell["type"] == "s":
                index = cell["index"].strip()
                length = shared[int(index)] if index.isdigit() and int(index) < len(shared) else 0
            if length > MAX_CELL_CHARS:
                raise _CellTooLong(f"{_letter(col)}{row + 1}")
            cell["text"] += length
            if cell["text"] > MAX_TEXT_CHARS:
                raise _TooMuchText

    def text(data: str) -> None:
        if cell["in_v"]:
            if cell["type"] == "s":
                cell["index"] = (cell["index"] + data)[:20]  # an index, never long text
            else:
                cell["length"] += len(data)
        elif cell["in_t"]:
            cell["length"] += len(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(xml, True)
    except _TooFar as far:
        raise _refusal(
            "file_too_many_cells",
            _(
                "Das erste Tabellenblatt hat Inhalte bis Zelle %(cell)s. Bitte löschen Sie alles "
                "unterhalb und rechts der Liste (höchstens %(max)s Zeilen)."
            )
            % {"cell": str(far), "max": number_format(MAX_ROWS, force_grouping=True)},
        ) from None
    except _CellTooLong as where:
        raise _refusal("file_cell_too_long", _cell_too_long_message(str(where))) from None
    except _TooMuchText:
        raise _refusal("file_text_budget", _text_budget_message()) from None
    return state["formulas"]


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _german_date(value: dt.date) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def _german_time(value: dt.time) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}"
    return f"{text}:{value.second:02d}" if value.second else text


def _xlsx_text(value: Any, field_name: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, int):
        return _whole_number(str(value), field_name)
    if isinstance(value, float):
        if value.is_integer():
            return _whole_number(str(int(value)), field_name)
        return format(value, ".15g").replace(".", ",")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return _german_date(value)
        return f"{_german_date(value)} {_german_time(value.time())}"
    if isinstance(value, dt.date):
        return _german_date(value)
    if isinstance(value, dt.time):
        return _german_time(value)
    return str(value)


def _whole_number(digits: str, field_name: str | None) -> str:
    """Give back the leading zero (or +) that Excel took from a number typed into a cell."""
    if field_name == "postcode" and len(digits) == 4:
        return "0" + digits
    if field_name == "mobile" and digits.isdigit():
        if digits.startswith("49") and len(digits) >= 12:
            return "+" + digits
        if digits.startswith("1"):
            return "0" + digits
    return digits
