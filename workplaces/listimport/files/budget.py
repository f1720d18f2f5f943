"""The XLSX archive checked before calamine reads a cell: its parts' real unpacked size, the
shared-string count, and each sheet's grid and the text its cells expand to (zip bombs,
far-away cells, shared strings copied into many cells).
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from array import array
from posixpath import join, normpath
from xml.parsers import expat

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from portal.errors import Refusal
from workplaces.listimport.files.limits import MAX_CELL_CHARS, MAX_ROWS
from workplaces.listimport.files.messages import (
    _broken_xlsx,
    _cell_too_long_message,
    _letter,
    _password,
    _refusal,
)

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
#: Unbounded on purpose: ``A99999999`` is no Excel cell, but a reader may still place it there.
_CELL_REF = re.compile(r"([A-Za-z]+)([0-9]+)")


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
