"""The column contract of the list import: header texts that customers' HR tools write.

The header texts are German on purpose and are not translated: they are a file format, not
UI text, and an English UI must read the same files. Keep them stable; the README lists them.

Matching a header cell is lenient where people and tools differ and strict where it matters:
case, surrounding and inner spaces, hyphens (``E-Mail Adresse``) and a trailing ``*`` (a
mandatory mark some people add) do not count, the text is NFC-normalised, and because the
comparison uses ``casefold`` ``Strasse`` is ``Straße``. Unknown columns are ignored (the
caller reports them as a notice); the same known column twice is an error.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    mandatory: bool
    hint: Promise
    #: Excel keeps the cells as text (leading zeros of PLZ and phone numbers survive).
    text: bool = False
    width: int = 18


COLUMNS: tuple[Column, ...] = (
    Column("Vorname", "first_name", True, _("Pflichtfeld. Vorname, z. B. Jürgen."), width=16),
    Column("Nachname", "last_name", True, _("Pflichtfeld. Nachname, z. B. Müller-Lüdenscheidt.")),
    Column(
        "Straße",
        "street",
        True,
        _("Pflichtfeld. Straße ohne Hausnummer, z. B. Friedrich-Ebert-Allee."),
        width=24,
    ),
    Column(
        "Hausnummer",
        "house_number",
        True,
        _("Pflichtfeld. Hausnummer, auch mit Zusatz, z. B. 140 oder 12a."),
        text=True,
        width=12,
    ),
    Column(
        "PLZ",
        "postcode",
        True,
        _("Pflichtfeld. Deutsche Postleitzahl mit fünf Ziffern, z. B. 53113 oder 01067."),
        text=True,
        width=8,
    ),
    Column("Ort", "city", True, _("Pflichtfeld. Ort, z. B. Bonn."), width=16),
    Column(
        "E-Mail-Adresse",
        "email",
        False,
        _(
            "Optional. E-Mail-Adresse der Person, z. B. j.mueller@firma.de. Sie gilt auch zur "
            "Authentifizierung, wenn die Spalte „E-Mail-Adresse zur Authentifizierung“ leer ist."
        ),
        width=28,
    ),
    Column(
        "Benutzername",
        "username",
        False,
        _(
            "Optional. Leer: wird aus Vor- und Nachname gebildet, z. B. juergen.mueller. "
            "Mindestens fünf Zeichen: Kleinbuchstaben, Ziffern und _ - . (kann später nicht "
            "mehr geändert werden)."
        ),
        width=20,
    ),
    Column(
        "E-Mail-Adresse zur Authentifizierung",
        "auth_email",
        False,
        _(
            "Optional. An diese Adresse gehen Benutzername und Begrüßung, ohne "
            "Mobilfunknummer auch das Passwort. Leer: die E-Mail-Adresse."
        ),
        width=28,
    ),
    Column(
        "Mobilfunknummer",
        "mobile",
        False,
        _(
            "Optional. Das Passwort kommt per SMS an diese Nummer, z. B. 0170 1234567. "
            "Leer: das Passwort kommt per E-Mail."
        ),
        text=True,
        width=18,
    ),
    Column(
        "Rufnummer",
        "number",
        False,
        _(
            "Optional. Eine freie Rufnummer des SIP-Trunks: 0228 181234-13, +49 228 18123413 "
            "oder nur die Durchwahl 13. Leer: die nächste freie Rufnummer."
        ),
        text=True,
        width=18,
    ),
    Column(
        "Konferenzpaket",
        "package",
        False,
        _("Optional. Kein, Basic, Plus oder Premium (oder der volle Name). Leer: kein Paket."),
        width=16,
    ),
)

BY_FIELD: dict[str, Column] = {column.field: column for column in COLUMNS}
FIELDS: tuple[str, ...] = tuple(column.field for column in COLUMNS)

#: The column the error list adds; ignored when that list is uploaded again.
ERROR_HEADER = "Fehler"

_IGNORED_IN_KEY = str.maketrans("", "", " \t\u00a0-\u2010\u2011\u2012\u2013\u2014_")


def header_key(text: str) -> str:
    """What a header cell is compared by: ``' E-Mail Adresse* '`` -> ``'emailadresse'``."""
    text = unicodedata.normalize("NFC", text).strip().strip("\ufeff").strip().rstrip("*")
    return text.casefold().translate(_IGNORED_IN_KEY)


_BY_KEY: dict[str, Column] = {header_key(column.header): column for column in COLUMNS}
_ERROR_KEY = header_key(ERROR_HEADER)


@dataclass
class HeaderMatch:
    """Which known column sits in which position of a header row."""

    positions: dict[str, int] = dataclasses.field(default_factory=dict)
    unknown: list[str] = dataclasses.field(default_factory=list)
    #: header text -> positions of a known column that came more than once
    duplicates: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    error_position: int | None = None

    @property
    def columns(self) -> list[Column]:
        """The known columns found, in the order of the file."""
        return [BY_FIELD[f] for f, _ in sorted(self.positions.items(), key=lambda kv: kv[1])]

    @property
    def missing_mandatory(self) -> list[Column]:
        return [c for c in COLUMNS if c.mandatory and c.field not in self.positions]


def match_header(cells: list[str]) -> HeaderMatch:
    match = HeaderMatch()
    seen: dict[str, list[int]] = {}
    for position, cell in enumerate(cells):
        key = header_key(cell)
        if not key:
            continue
        if key == _ERROR_KEY:
            match.error_position = position
            continue
        column = _BY_KEY.get(key)
        if column is None:
            match.unknown.append(cell.strip())
            continue
        seen.setdefault(column.field, []).append(position)
    for field_name, positions in seen.items():
        match.positions[field_name] = positions[0]
        if len(positions) > 1:
            match.duplicates[BY_FIELD[field_name].header] = positions
    return match
