"""Benchmark: reading a list of 5,000 workplaces as CSV and XLSX, and writing its error list.

    .venv/bin/python bench/import_files.py              # 5 runs each, median printed
    .venv/bin/python bench/import_files.py --repeat 9

Builds the files in memory (realistic names, addresses, numbers; the XLSX as openpyxl
writes it, PLZ and numbers as text), then times ``read_upload`` on each and the error list
in both formats with an error on every tenth row. No database is used. Figures are printed,
never asserted. See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

import common  # noqa: F401 (first: re-starts the benchmark with the project's venv if needed)
from common import setup_django

ROWS = 5000


def build_rows() -> list[list[str]]:
    first = ["Jörg", "Anna", "Ben", "Cem", "Dörte", "Ülkü", "Jürgen", "Marie"]
    last = ["Müller", "Schmidt", "Weber", "Yılmaz", "Groß", "Meier-Lüdenscheidt"]
    rows = []
    for i in range(ROWS):
        rows.append(
            [
                first[i % len(first)],
                last[i % len(last)],
                "Friedrich-Ebert-Allee",
                str(1 + i % 200),
                f"{1067 + i % 90000:05d}",
                "Bonn",
                f"person{i}@example.com",
                f"person.{i}",
                "",
                f"0170 {1000000 + i}",
                f"0228 181234-{10 + i % 90}",
                ["", "Basic", "Plus", "Premium"][i % 4],
            ]
        )
    return rows


def timed(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django({"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "True"})

    from openpyxl import Workbook

    from workplaces.listimport.columns import COLUMNS
    from workplaces.listimport.errorlist import error_list_csv, error_list_xlsx
    from workplaces.listimport.files import read_upload

    header = [c.header for c in COLUMNS]
    rows = build_rows()
    csv_data = ("\ufeff" + "\r\n".join(";".join(r) for r in [header, *rows]) + "\r\n").encode()
    workbook = Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx_data = buffer.getvalue()

    sheet = read_upload("liste.csv", csv_data)
    assert len(sheet.rows) == ROWS
    errors = {row.line: ["Die Rufnummer ist schon vergeben."] for row in sheet.rows[::10]}
    figures = [
        (f"read CSV  ({len(csv_data) / 1e6:.1f} MB)", lambda: read_upload("l.csv", csv_data)),
        (f"read XLSX ({len(xlsx_data) / 1e6:.1f} MB)", lambda: read_upload("l.xlsx", xlsx_data)),
        ("error list CSV", lambda: error_list_csv(sheet, errors)),
        ("error list XLSX", lambda: error_list_xlsx(sheet, errors)),
    ]
    print(f"{ROWS:,} rows, {len(header)} columns, median of {args.repeat} runs")
    for label, action in figures:
        print(f"  {label:<28} {timed(args.repeat, action) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
