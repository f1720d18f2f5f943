"""The seed's rules for phone numbers (stable names: other tools import them)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: "Die Länge von Rufnummern ist ... für den nationalen Telefonverkehr auf maximal 12 Ziffern
#: begrenzt" (without the leading 0, with the area code).
MAX_NATIONAL_DIGITS = 12
FORBIDDEN_EXTENSION_PREFIXES = ("77", "78", "110", "112")


def validate_extension(value: str) -> None:
    """An internal number (Durchwahl) as the seed allows it."""
    if not value or not (value.isascii() and value.isdigit()):
        raise ValidationError(
            _("Die interne Rufnummer darf nur aus den Ziffern 0 bis 9 bestehen."),
            code="extension_digits",
        )
    for prefix in FORBIDDEN_EXTENSION_PREFIXES:
        if value.startswith(prefix):
            raise ValidationError(
                _("Interne Rufnummern beginnend mit %(prefix)s können nicht verwendet werden.")
                % {"prefix": prefix},
                code="extension_prefix",
            )
    if len(value) == 5 and value.startswith("118"):
        raise ValidationError(
            _("Fünfstellige interne Rufnummern beginnend mit 118 können nicht verwendet werden."),
            code="extension_118",
        )


def national_digits(e164: str) -> str:
    """The national significant number of a German E.164 number (no 0, no +49)."""
    if not e164.startswith("+49"):
        raise ValidationError(
            _("Die Rufnummer muss eine deutsche Rufnummer (+49) sein."), code="number_country"
        )
    digits = e164[3:]
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(
            _("Die Rufnummer darf nach +49 nur Ziffern enthalten."), code="number_digits"
        )
    return digits


def validate_number_length(e164: str) -> None:
    """At most 12 national digits, i.e. 14 digits with the country code 49."""
    digits = national_digits(e164)
    if len(digits) > MAX_NATIONAL_DIGITS:
        raise ValidationError(
            _(
                "Die Rufnummer hat %(count)d Ziffern ohne die führende 0; erlaubt sind höchstens "
                "12 Ziffern (14 mit der Landesvorwahl +49)."
            )
            % {"count": len(digits)},
            code="number_length",
        )


def parse_german_number(raw: str) -> phonenumbers.PhoneNumber:
    """Parse national (0228 ...) or international (+49 228 ...) input, or raise."""
    cleaned = "".join(ch for ch in raw if ch.isascii() and (ch.isdigit() or ch == "+"))
    if not cleaned:
        raise ValidationError(_("Bitte geben Sie eine Rufnummer ein."), code="number_empty")
    try:
        number = phonenumbers.parse(cleaned, "DE")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Das ist keine gültige Rufnummer."), code="number_invalid"
        ) from None
    return number
