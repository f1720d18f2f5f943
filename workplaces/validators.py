"""The seed's rules for usernames and addresses (stable names: other tools import them)."""

from __future__ import annotations

import itertools
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

MIN_USERNAME_LENGTH = 5
MAX_USERNAME_LENGTH = 64
SEPARATORS = "_-."
_ALLOWED = re.compile(r"[a-z0-9_.\-]")
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS"}
)
#: Letters that Unicode does not decompose into an ASCII letter plus marks (ş, ç, ğ, å do, and
#: need nothing here); without this they would be dropped: "Yılmaz" would become "ylmaz".
_NO_DECOMPOSITION = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ħ": "h",
        "Ħ": "H",
        "ŧ": "t",
        "Ŧ": "T",
        "ŋ": "ng",
        "Ŋ": "Ng",
        "ĸ": "k",
        "ſ": "s",
    }
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
    """``Jörg Müller-Lüdenscheidt`` -> ``joerg.mueller-luedenscheidt`` (may still be taken).

    German umlauts are spelled out, other letters transliterated (``Yılmaz`` -> ``yilmaz``,
    ``Çelik`` -> ``celik``) before anything left is dropped. The wizard's and the list
    import's suggestions both come from here.
    """

    def simplify(text: str) -> str:
        # NFC first: a decomposed "ö" (o + combining diaeresis) must become "oe", not "o".
        text = unicodedata.normalize("NFC", text).translate(_UMLAUTS).translate(_NO_DECOMPOSITION)
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


# --- Benutzerdaten and contacts: each cleans one value or says in German what is wrong -------

_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
_NAME = re.compile(r"[^\W\d_]+(?:[ '’.\-][^\W\d_]*)*", re.UNICODE)
_HOUSE_NUMBER = re.compile(r"[0-9]{1,4} ?[a-zA-Z]?(?: ?[-/] ?[0-9]{1,4} ?[a-zA-Z]?)?")


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in _INVISIBLE for ch in value)


def clean_text(value: str, *, max_length: int) -> str:
    """Single-line text: no control or invisible characters, inner spaces collapsed, NFC."""
    if has_control_characters(value):
        raise ValidationError(
            _("Bitte verwenden Sie nur sichtbare Zeichen (keine Steuerzeichen)."),
            code="control_characters",
        )
    value = " ".join(unicodedata.normalize("NFC", value).split())
    if len(value) > max_length:
        raise ValidationError(
            _("Bitte höchstens %(max)d Zeichen.") % {"max": max_length}, code="max_length"
        )
    return value


def validate_name(value: str) -> None:
    """First name, last name, city: letters with spaces, hyphens, dots or apostrophes."""
    # Numerals such as ½, ² or Ⅻ are word characters to the pattern, but no letters.
    if not _NAME.fullmatch(value) or any(unicodedata.category(ch)[0] == "N" for ch in value):
        raise ValidationError(
            _("Bitte nur Buchstaben, Leerzeichen, Bindestrich, Punkt oder Apostroph."),
            code="name",
        )


def validate_street(value: str) -> None:
    if not any(ch.isalpha() for ch in value) or any(ch in "<>{}[]|\\^~`@#$%*=+;" for ch in value):
        raise ValidationError(_("Bitte geben Sie einen Straßennamen ein."), code="street")


def validate_house_number(value: str) -> None:
    if not _HOUSE_NUMBER.fullmatch(value):
        raise ValidationError(
            _("Bitte geben Sie eine Hausnummer wie 12, 12a oder 12-14 ein."), code="house_number"
        )


def normalize_email(value: str) -> str:
    """An e-mail address checked by email-validator, in its normalised form."""
    try:
        return validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        raise ValidationError(
            _("Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@firma.de."),
            code="invalid",
        ) from None


def normalize_mobile(value: str) -> str:
    """A German or international mobile number, as E.164; the SMS can only go to a mobile."""
    cleaned = "".join(ch for ch in value if not ch.isspace() and ch not in "-/()")
    if not cleaned.isascii() or not cleaned.lstrip("+").isdigit() or cleaned.count("+") > 1:
        raise ValidationError(
            _("Eine Mobilfunknummer besteht aus Ziffern, z. B. 0170 1234567."), code="invalid"
        )
    try:
        number = phonenumbers.parse(cleaned, "DE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Das ist keine gültige Rufnummer, z. B. 0170 1234567."), code="invalid"
        )
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValidationError(
            _("Das ist keine Mobilfunknummer; die SMS kann nur an ein Handy gehen."),
            code="not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
