"""XLSX: the first sheet read by python-calamine (after :mod:`.budget` passed the archive),
and its values turned into the text a person typed (dates, whole numbers, lost zeros).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import ngettext

from portal.errors import Refusal
from workplaces.listimport.files.budget import _check_archive
from workplaces.listimport.files.messages import _broken_xlsx, _password, _refusal

logger = logging.getLogger(__name__)


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
