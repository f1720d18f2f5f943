"""Rules for cells that go to or come from spreadsheets (Excel, LibreOffice, HR tools)."""

from __future__ import annotations

#: A cell starting with one of these is run as a formula when Excel opens a CSV file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: str) -> str:
    """Excel must not read a cell as a formula (CSV injection): such text gets a quote."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def excel_safe_row(values: list[str]) -> list[str]:
    """:func:`excel_safe` for every cell of a row, without a call per cell (big exports)."""
    return [f"'{value}" if value[:1] in FORMULA_STARTS else value for value in values]


def excel_unquote(value: str) -> str:
    """Undo :func:`excel_safe`: a file we wrote comes back with ``'+49 ...`` cells.

    Only a quote in front of a formula start is removed; ``'t Hart`` is a name and stays.
    """
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value
