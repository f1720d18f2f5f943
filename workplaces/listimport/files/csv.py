"""CSV: the text decoded (UTF-8 with or without BOM, else Windows-1252), the delimiter found,
the rows read with their line numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from workplaces.listimport.columns import match_header
from workplaces.listimport.files.limits import HEADER_SEARCH_ROWS
from workplaces.listimport.files.messages import _not_a_list, _refusal

_UTF8_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (";", ",", "\t")
_SEP_LINE = re.compile(r'"?sep=(.)"?', re.IGNORECASE)


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
