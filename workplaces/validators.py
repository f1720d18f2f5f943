"""The seed's rules for usernames and addresses (stable names: other tools import them)."""

from __future__ import annotations

import itertools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_USERNAME_LENGTH = 5
MAX_USERNAME_LENGTH = 64
SEPARATORS = "_-."
_ALLOWED = re.compile(r"[a-z0-9_.\-]")
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS"}
)


def validate_username(value: str) -> None:
    """Username of a workplace, as the seed states it.

    At least five characters; lowercase letters and digits without umlauts; ``_ - .`` only with
    a letter or digit directly before and after; starting and ending with a letter or digit.
    """
    if len(value) < MIN_USERNAME_LENGTH:
        raise ValidationError(
            _("Der Benutzername muss mindestens fünf Zeichen lang sein."), code="username_short"
        )
    if len(value) > MAX_USERNAME_LENGTH:
        raise ValidationError(
            _("Der Benutzername darf höchstens %(max)d Zeichen lang sein.")
            % {"max": MAX_USERNAME_LENGTH},
            code="username_long",
        )
    if any(ch in "äöüßÄÖÜ" for ch in value):
        raise ValidationError(
            _("Der Benutzername darf keine Umlaute (ä, ö, ü) und kein ß enthalten."),
            code="username_umlaut",
        )
    if any(ch.isupper() for ch in value):
        raise ValidationError(
            _("Der Benutzername darf nur Kleinbuchstaben enthalten, keine Großbuchstaben."),
            code="username_uppercase",
        )
    if not all(_ALLOWED.fullmatch(ch) for ch in value):
        raise ValidationError(
            _(
                "Der Benutzername darf nur aus Kleinbuchstaben (a-z) und Ziffern bestehen; als "
                "Sonderzeichen sind nur Unterstrich, Bindestrich und Punkt erlaubt."
            ),
            code="username_characters",
        )
    if value[0] in SEPARATORS or value[-1] in SEPARATORS:
        raise ValidationError(
            _("Der Benutzername muss mit einem Buchstaben oder einer Ziffer beginnen und enden."),
            code="username_edges",
        )
    for before, after in itertools.pairwise(value):
        if before in SEPARATORS and after in SEPARATORS:
            raise ValidationError(
                _(
                    "Vor und nach jedem Sonderzeichen (_ - .) muss mindestens ein Buchstabe oder "
                    "eine Ziffer stehen."
                ),
                code="username_separators",
            )


def username_suggestion(first_name: str, last_name: str) -> str:
    """``Jörg Müller-Lüdenscheidt`` -> ``joerg.mueller-luedenscheidt`` (may still be taken)."""

    def simplify(text: str) -> str:
        # NFC first: a decomposed "ö" (o + combining diaeresis) must become "oe", not "o".
        text = unicodedata.normalize("NFC", text).translate(_UMLAUTS)
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        text = re.sub(r"[^a-z0-9_.\-]+", "-", text)
        text = re.sub(r"[_.\-]{2,}", "-", text)
        return text.strip("_.-")

    parts = [p for p in (simplify(first_name), simplify(last_name)) if p]
    suggestion = ".".join(parts)[:MAX_USERNAME_LENGTH].strip("_.-")
    if len(suggestion) < MIN_USERNAME_LENGTH and suggestion:
        suggestion = (suggestion + "00000")[:MIN_USERNAME_LENGTH]
    return suggestion


_POSTCODE = re.compile(r"[0-9]{5}")


def validate_postcode(value: str) -> None:
    """German postcodes have five digits, 01001 to 99998."""
    if not _POSTCODE.fullmatch(value) or value == "00000" or value.startswith("00"):
        raise ValidationError(
            _("Bitte geben Sie eine deutsche Postleitzahl mit fünf Ziffern ein (z. B. 53113)."),
            code="postcode",
        )
