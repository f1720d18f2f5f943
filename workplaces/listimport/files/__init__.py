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
  number in the Rufnummer column stays as it is; ``trunks.parsing.parse_rufnummer`` knows the trunk
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

The modules, one concern each: :mod:`.upload` (the entry points), :mod:`.csv`, :mod:`.xlsx`
and :mod:`.budget` (the XLSX archive checked first), :mod:`.sheet` (rows into a sheet),
:mod:`.messages` and :mod:`.limits`. Callers import from here.
"""

from workplaces.listimport.files.budget import (
    MAX_SHEET_CELLS,
    MAX_TEXT_CHARS,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_ENTRIES,
)
from workplaces.listimport.files.limits import (
    HEADER_SEARCH_ROWS,
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_ROWS,
)
from workplaces.listimport.files.messages import too_large_message
from workplaces.listimport.files.sheet import Row, Sheet
from workplaces.listimport.files.upload import check_upload, read_upload

__all__ = [
    "HEADER_SEARCH_ROWS",
    "MAX_BYTES",
    "MAX_CELL_CHARS",
    "MAX_ROWS",
    "MAX_SHEET_CELLS",
    "MAX_TEXT_CHARS",
    "MAX_UNPACKED_BYTES",
    "MAX_ZIP_ENTRIES",
    "Row",
    "Sheet",
    "check_upload",
    "read_upload",
    "too_large_message",
]
