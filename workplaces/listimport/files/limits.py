"""How much of a list is read: the upload's size, its rows, and one cell."""

from __future__ import annotations

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
#: The header is looked for in this many non-empty rows (a title row above it is common).
HEADER_SEARCH_ROWS = 10
#: Excel's own limit for one cell.
MAX_CELL_CHARS = 32_767
