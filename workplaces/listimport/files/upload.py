"""The entry points: what kind of file an upload is (by its content), the cheap checks a web
request makes, and reading it into a :class:`~.sheet.Sheet`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from workplaces.listimport.files.budget import _check_archive
from workplaces.listimport.files.csv import _UTF8_BOM, _csv_rows, _csv_text, _decode
from workplaces.listimport.files.limits import MAX_BYTES
from workplaces.listimport.files.messages import (
    _broken_xlsx,
    _not_a_list,
    _ole_message,
    _refusal,
    too_large_message,
)
from workplaces.listimport.files.sheet import _STRIP, Sheet, _build_sheet
from workplaces.listimport.files.xlsx import _xlsx_rows

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
