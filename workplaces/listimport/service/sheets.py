"""The sheet as a run keeps it: the rows read from the upload, to JSON and back."""

from __future__ import annotations

from workplaces.listimport.columns import FIELDS, HeaderMatch
from workplaces.listimport.files import Row, Sheet


def _storable(text: str) -> str:
    """PostgreSQL's JSON cannot hold NUL; the mark shows where one was (it is an error anyway)."""
    return text.replace("\x00", "\ufffd")


def sheet_to_json(sheet: Sheet) -> dict:
    return {
        "kind": sheet.kind,
        "header": [_storable(cell) for cell in sheet.header],
        "header_line": sheet.header_line,
        "positions": sheet.match.positions,
        "unknown": [_storable(cell) for cell in sheet.match.unknown],
        "error_position": sheet.match.error_position,
        "notices": sheet.notices,
        "rows": [[row.line, [_storable(cell) for cell in row.raw]] for row in sheet.rows],
    }


def sheet_from_json(data: dict) -> Sheet:
    positions = {str(k): int(v) for k, v in data["positions"].items()}
    match = HeaderMatch(
        positions=positions, unknown=list(data["unknown"]), error_position=data["error_position"]
    )
    rows = []
    for line, raw in data["rows"]:
        values = dict.fromkeys(FIELDS, "")
        for name, position in positions.items():
            if position < len(raw):
                values[name] = raw[position]
        rows.append(Row(line=line, values=values, raw=raw))
    return Sheet(
        kind=data["kind"],
        header=list(data["header"]),
        header_line=data["header_line"],
        match=match,
        rows=rows,
        notices=list(data["notices"]),
    )
