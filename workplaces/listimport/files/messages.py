"""The refusal of a file, and the German messages more than one reader gives."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from portal.errors import Refusal
from workplaces.listimport.files.limits import MAX_BYTES, MAX_CELL_CHARS


def _refusal(code: str, message: str, **params) -> Refusal:
    """The file cannot be imported; the message says why in one German sentence or two."""
    return Refusal(code, message, field="file", params=params)


def too_large_message() -> str:
    """Also for the upload form, which refuses a large file before reading it."""
    return _("Die Datei ist größer als %(mb)d MB. Bitte teilen Sie die Liste auf.") % {
        "mb": MAX_BYTES // (1024 * 1024)
    }


def _not_a_list() -> str:
    return _(
        "Die Datei ist weder eine CSV-Datei noch eine Excel-Arbeitsmappe (.xlsx). Bitte laden "
        "Sie die Liste als .xlsx oder .csv hoch."
    )


def _broken_xlsx() -> str:
    return _(
        "Die Excel-Datei ist beschädigt und kann nicht gelesen werden. Bitte speichern Sie sie "
        "in Excel erneut als „Excel-Arbeitsmappe (*.xlsx)“ und laden Sie sie noch einmal hoch."
    )


def _password() -> str:
    return _(
        "Die Excel-Datei ist mit einem Kennwort geschützt. Bitte speichern Sie sie ohne "
        "Kennwort und laden Sie sie erneut hoch."
    )


def _ole_message(data: bytes) -> str:
    # A password-protected XLSX is not a zip but an OLE container with an EncryptionInfo part.
    if "EncryptionInfo".encode("utf-16-le") in data:
        return _password()
    return _(
        "Die Datei ist eine ältere Excel-Datei (.xls). Bitte speichern Sie sie in Excel als "
        "„Excel-Arbeitsmappe (*.xlsx)“ oder als „CSV UTF-8“ und laden Sie sie erneut hoch."
    )


def _letter(position: int) -> str:
    """0 -> A, 26 -> AA: how Excel names a column."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cell_too_long_message(cell: str) -> str:
    return _(
        "Die Zelle %(cell)s enthält mehr als %(max)s Zeichen; so viel fasst keine Excel-Zelle. "
        "Bitte prüfen Sie die Datei."
    ) % {"cell": cell, "max": number_format(MAX_CELL_CHARS, force_grouping=True)}
