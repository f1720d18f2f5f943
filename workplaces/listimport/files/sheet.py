"""From rows of cells to a :class:`Sheet`: the header found, cells cleaned, rows kept with
the line Excel shows, and the notices about what was left out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.spreadsheet import excel_unquote
from workplaces.listimport.columns import COLUMNS, FIELDS, Column, HeaderMatch, match_header
from workplaces.listimport.files.limits import HEADER_SEARCH_ROWS, MAX_CELL_CHARS, MAX_ROWS
from workplaces.listimport.files.messages import _cell_too_long_message, _letter, _refusal

_STRIP = " \t\r\n\v\f\u00a0\ufeff\u200b"


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
